package dev.attend;

import dev.attend.attention.Attention;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The README's Java API example, compiled against the library and run, so the README cannot go stale. */
class ReadmeExampleTest {
    @Test
    void readmeExampleCompilesAndRuns(@TempDir Path dir) throws Exception {
        String readme = Files.readString(Path.of("..", "README.md"));
        int start = readme.indexOf("<!-- readme-example:start -->"), end = readme.indexOf("<!-- readme-example:end -->");
        assertTrue(start >= 0 && end > start, "README.md must hold the example between readme-example markers");
        String block = readme.substring(start, end);
        String code = block.substring(block.indexOf("```java") + "```java".length(), block.lastIndexOf("```"));
        Path src = dir.resolve("Example.java");
        Files.writeString(src, code);

        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        ByteArrayOutputStream errors = new ByteArrayOutputStream();
        int rc = javac.run(null, null, errors, "--add-modules", "jdk.incubator.vector", "-proc:none",
                "-classpath", System.getProperty("java.class.path"), "-d", dir.toString(), src.toString());
        assertEquals(0, rc, "the README example does not compile:\n" + errors.toString(StandardCharsets.UTF_8));

        PrintStream stdout = System.out;
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        try (URLClassLoader loader = new URLClassLoader(new URL[] {dir.toUri().toURL()}, getClass().getClassLoader())) {
            System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));
            loader.loadClass("Example").getMethod("main", String[].class).invoke(null, (Object) new String[0]);
        } finally {
            System.setOut(stdout);
        }
        List<String> lines = printed.toString(StandardCharsets.UTF_8).lines().toList();
        // Work line, spec line, one line per registered mechanism, the masks line, the tensors line.
        assertEquals(4 + Attention.descriptors().size(), lines.size(), "printed: " + lines);
        assertTrue(lines.get(0).endsWith("tiles") && lines.get(0).contains("useful GFLOP"), lines.get(0));
        assertEquals("flash:blockQ=64,blockK=128 == flash:blockQ=64,blockK=128; decode-q8_0 here? mechanism 'decode-q8_0' does not "
                + "support this problem: masks: expected one of causal-br, full, got 'document-causal:512,256,256'", lines.get(1));
        assertTrue(lines.get(2).startsWith("flash: "), lines.get(2));
        assertTrue(lines.get(lines.size() - 2).startsWith("masks: full, causal, causal-br"), lines.get(lines.size() - 2));
        assertTrue(lines.get(lines.size() - 1).startsWith("Tensor[1, 8, 1, 64]"), lines.get(lines.size() - 1));
    }
}
