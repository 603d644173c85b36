package dev.downloader;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import javax.management.JMException;
import javax.management.ObjectName;

import org.jboss.logging.Logger;

import io.quarkus.runtime.ImageMode;
import io.quarkus.runtime.StartupEvent;

/**
 * With {@code downloader.jit.c2-for-digests-only}, keeps HotSpot's optimising compiler (C2) to the JDK's message
 * digests, where its SHA-256 intrinsic hashes about twelve times faster than C1's code; everything else stays compiled
 * by C1. A fresh service then spends less of its CPU compiling its I/O and framework steps, at the price of slower code
 * once C2 would have compiled them (bench/README, the fourteenth round). The directives go in through the
 * DiagnosticCommand MBean (what {@code jcmd <pid> Compiler.directives_add} does), so a plain {@code java -jar} has them.
 */
@ApplicationScoped
public class CompilerDirectives {

    private static final Logger LOG = Logger.getLogger(CompilerDirectives.class);

    private static final String DIGESTS = "sun/security/provider/*.*";
    /** The first directive whose pattern matches a method applies to it. */
    private static final String C2_FOR_DIGESTS_ONLY = "[ { match: \"" + DIGESTS + "\", c2: { Exclude: false } },"
            + " { match: \"*.*\", c2: { Exclude: true } } ]";

    /** The JVM's directives, as {@code jcmd <pid> Compiler.directives_print} shows them. */
    static String printed() throws JMException {
        return diagnosticCommand("compilerDirectivesPrint", null, null);
    }

    void onStart(@Observes StartupEvent event, DownloaderConfig config) {
        if (!config.jit().c2ForDigestsOnly() || ImageMode.current() == ImageMode.NATIVE_RUN) {
            return;
        }
        try {
            // the JVM keeps its directives across restarts of the application in it (tests, dev mode), and holds at
            // most CompilerDirectivesLimit (50) of them: added once per JVM
            String current = printed();
            if (current != null && current.contains("matching: " + DIGESTS)) {
                return;
            }
            Path file = Files.createTempFile("compiler-directives", ".json");
            try {
                Files.writeString(file, C2_FOR_DIGESTS_ONLY);
                String answer = diagnosticCommand("compilerDirectivesAdd",
                        new Object[] { new String[] { file.toString() } }, new String[] { String[].class.getName() });
                if (answer == null || !answer.contains("added")) {
                    LOG.warnf("the JVM refused the compiler directives: %s", answer);
                }
            } finally {
                Files.deleteIfExists(file);
            }
        } catch (JMException | IOException | RuntimeException e) {
            // not HotSpot (no such command), or no temporary directory: the JVM compiles as it would by default
            LOG.warnf("compiler directives not added (downloader.jit.c2-for-digests-only): %s", e.toString());
        }
    }

    /** A jcmd command, through the DiagnosticCommand MBean. */
    private static String diagnosticCommand(String operation, Object[] arguments, String[] signature)
            throws JMException {
        return (String) ManagementFactory.getPlatformMBeanServer().invoke(
                new ObjectName("com.sun.management:type=DiagnosticCommand"), operation, arguments, signature);
    }
}
