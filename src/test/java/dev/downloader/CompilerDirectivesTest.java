package dev.downloader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.regex.Pattern;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import dev.downloader.testsupport.TestServicesResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;

/**
 * The started service has told the JVM's compiler to keep C2 to the JDK's message digests: what
 * {@code jcmd <pid> Compiler.directives_print} shows of the running JVM.
 */
@QuarkusTest
@QuarkusTestResource(value = TestServicesResource.class, restrictToAnnotatedClass = false)
class CompilerDirectivesTest {

    @Inject
    CompilerDirectives compilerDirectives;

    @Inject
    DownloaderConfig config;

    @Test
    void c2CompilesOnlyTheMessageDigests() throws Exception {
        String directives = CompilerDirectives.printed();
        // the digests first, C2 allowed; then every other method, C2 excluded; then the JVM's default
        Pattern expected = Pattern.compile("matching: sun/security/provider/\\*\\.\\*.*?c2 directives:.*?Exclude:false"
                + ".*?matching: \\*\\.\\*.*?c2 directives:.*?Exclude:true.*?Directive: \\(default\\)", Pattern.DOTALL);
        assertTrue(expected.matcher(directives).find(), directives);
    }

    @Test
    void anotherStartInTheSameJvmAddsThemNoMoreThanOnce() throws Exception {
        // what a restart of the application in this JVM does (the test suite's, dev mode's)
        compilerDirectives.onStart(null, config);
        compilerDirectives.onStart(null, config);

        String directives = CompilerDirectives.printed();
        assertEquals(1, directives.split("matching: sun/security/provider/", -1).length - 1, directives);
    }
}
