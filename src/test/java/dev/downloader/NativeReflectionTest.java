package dev.downloader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import jakarta.inject.Named;

import org.junit.jupiter.api.Test;

import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * A native image reaches by reflection only what is registered: every class the routes name (exceptions they catch,
 * a beanType) and every bean they call by name ({@code ref:}) must carry {@link RegisterForReflection}.
 */
class NativeReflectionTest {

    private static final Pattern CLASS_NAME = Pattern.compile("dev\\.downloader\\.[A-Za-z.]*[A-Z][A-Za-z]*");
    private static final Pattern BEAN_REF = Pattern.compile("\\bref: ([A-Za-z]+)");

    @Test
    void everyClassAndBeanTheRoutesCallIsRegisteredForReflection() throws Exception {
        String routes = routesText();
        Map<String, Class<?>> beans = namedBeans();
        TreeSet<String> missing = new TreeSet<>();
        int checked = 0;
        Matcher named = CLASS_NAME.matcher(routes);
        while (named.find()) {
            checked++;
            require(Class.forName(named.group()), missing);
        }
        Matcher ref = BEAN_REF.matcher(routes);
        while (ref.find()) {
            checked++;
            Class<?> bean = beans.get(ref.group(1));
            assertTrue(bean != null, "no @Named(\"" + ref.group(1) + "\") bean for the routes' ref");
            require(bean, missing);
        }
        assertTrue(checked > 20, "the routes name classes and beans: " + checked);
        assertEquals(new TreeSet<>(), missing, "not registered for reflection");
    }

    private static void require(Class<?> type, TreeSet<String> missing) {
        if (!type.isAnnotationPresent(RegisterForReflection.class)) {
            missing.add(type.getName());
        }
    }

    private static String routesText() throws IOException {
        StringBuilder text = new StringBuilder();
        try (Stream<Path> files = Files.list(Path.of("routes"))) {
            for (Path file : files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList()) {
                text.append(Files.readString(file)).append('\n');
            }
        }
        return text.toString();
    }

    /** The beans of the main classes by their @Named name: classes, and what producer methods return. */
    private static Map<String, Class<?>> namedBeans() throws Exception {
        Path classes = Path.of("target/classes");
        List<Class<?>> all = new ArrayList<>();
        try (Stream<Path> files = Files.walk(classes.resolve("dev/downloader"))) {
            for (Path file : files.filter(f -> f.toString().endsWith(".class")).toList()) {
                String name = classes.relativize(file).toString().replace('/', '.').replaceAll("\\.class$", "");
                all.add(Class.forName(name, false, NativeReflectionTest.class.getClassLoader()));
            }
        }
        Map<String, Class<?>> beans = new HashMap<>();
        for (Class<?> type : all) {
            Named named = type.getAnnotation(Named.class);
            if (named != null) {
                beans.put(named.value(), type);
            }
            for (Method method : type.getDeclaredMethods()) {
                Named produced = method.getAnnotation(Named.class);
                if (produced != null) {
                    beans.put(produced.value(), method.getReturnType());
                }
            }
        }
        return beans;
    }
}
