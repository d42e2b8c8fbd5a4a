package dev.attend.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's Spark example, compiled against the module and run on local[2], so it cannot go stale. */
class ReadmeSparkExampleTest {
    @Test
    void readmeSparkExampleCompilesAndRuns(@TempDir Path dir) throws Exception {
        String readme = Files.readString(Path.of("..", "README.md"));
        int start = readme.indexOf("<!-- readme-spark-example:start -->"), end = readme.indexOf("<!-- readme-spark-example:end -->");
        assertTrue(start >= 0 && end > start, "README.md must hold the Spark example between readme-spark-example markers");
        String block = readme.substring(start, end);
        String code = block.substring(block.indexOf("```java") + "```java".length(), block.lastIndexOf("```"));
        Path src = dir.resolve("SparkExample.java");
        Files.writeString(src, code);
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        ByteArrayOutputStream errors = new ByteArrayOutputStream();
        int rc = javac.run(null, null, errors, "--add-modules", "jdk.incubator.vector", "-proc:none",
                "-classpath", System.getProperty("java.class.path"), "-d", dir.toString(), src.toString());
        assertEquals(0, rc, "the README's Spark example does not compile:\n" + errors.toString(StandardCharsets.UTF_8));
        PrintStream stdout = System.out;
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        try (URLClassLoader loader = new URLClassLoader(new URL[] {dir.toUri().toURL()}, getClass().getClassLoader())) {
            System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));
            loader.loadClass("SparkExample").getMethod("main", String[].class).invoke(null, (Object) new String[0]);
        } finally {
            System.setOut(stdout);
        }
        List<String> lines = printed.toString(StandardCharsets.UTF_8).lines().filter(l -> !l.isBlank()).toList();
        assertTrue(lines.get(lines.size() - 2).startsWith("ZIGZAG plan, 9 tasks, max/mean task area 1.00"), "printed: " + lines);
        assertEquals("out [1, 8, 2048, 64]", lines.get(lines.size() - 1));
    }
}
