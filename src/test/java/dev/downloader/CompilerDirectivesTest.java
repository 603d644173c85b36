package dev.downloader;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.util.regex.Pattern;

import javax.management.ObjectName;

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

    @Test
    void c2CompilesOnlyTheMessageDigests() throws Exception {
        String directives = (String) ManagementFactory.getPlatformMBeanServer().invoke(
                new ObjectName("com.sun.management:type=DiagnosticCommand"), "compilerDirectivesPrint", null, null);
        // the digests first, C2 allowed; then every other method, C2 excluded; then the JVM's default
        Pattern expected = Pattern.compile("matching: sun/security/provider/\\*\\.\\*.*?c2 directives:.*?Exclude:false"
                + ".*?matching: \\*\\.\\*.*?c2 directives:.*?Exclude:true.*?Directive: \\(default\\)", Pattern.DOTALL);
        assertTrue(expected.matcher(directives).find(), directives);
    }
}
