package dev.attend.cli.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChartsTest {
    /** Writes the sample charts to a directory, to look at them: {@code ChartsTest DIR}. */
    public static void main(String[] args) throws IOException {
        writeSamples(Path.of(args[0]));
    }

    static void writeSamples(Path dir) throws IOException {
        int[] depths = {0, 11, 22, 33, 44, 56, 67, 78, 89, 100};
        int[] lengths = {256, 512, 1024, 2048, 4096};
        double[][] acc = new double[depths.length][lengths.length];
        for (int d = 0; d < depths.length; d++) {
            for (int l = 0; l < lengths.length; l++) acc[d][l] = l <= 1 ? 1.0 : Math.max(0, 1 - 0.3 * (l - 1) * (1 - depths[d] / 100.0));
        }
        acc[3][4] = Double.NaN;
        Charts.depthLengthHeatMap(dir.resolve("niah.png"), "NIAH single needle: accuracy by depth and length (trained at 512)",
                depths, lengths, acc);
        int n = 300;
        double[] step = new double[n], t1 = new double[n], t2 = new double[n], l1 = new double[n], l2 = new double[n];
        for (int i = 0; i < n; i++) {
            step[i] = i;
            t1[i] = 0.8 * i;
            t2[i] = 1.9 * i;
            l1[i] = 9 * Math.exp(-i / 40.0) + 0.01;
            l2[i] = 9 * Math.exp(-i / 60.0) + 0.02;
        }
        List<Charts.Curve> byStep = List.of(new Charts.Curve("Attend", step, l1), new Charts.Curve("PyTorch", step, l2));
        Charts.lossAgainstStep(dir.resolve("loss-step.png"), "MQAR L=256, 16 pairs, V=8192: training loss", byStep);
        Charts.lossAgainstTime(dir.resolve("loss-time.png"), "MQAR L=256, 16 pairs, V=8192: training loss",
                List.of(new Charts.Curve("Attend", t1, l1), new Charts.Curve("PyTorch", t2, l2)));
        double[] a1 = new double[n];
        for (int i = 0; i < n; i++) a1[i] = 1 - Math.exp(-i / 50.0);
        Charts.accuracyAgainstTime(dir.resolve("accuracy-time.png"), "MQAR: test accuracy against wall time",
                List.of(new Charts.Curve("Attend", t1, a1)));
    }

    @Test
    void writesReadablePngs(@TempDir Path dir) throws IOException {
        writeSamples(dir);
        for (String f : new String[] {"niah.png", "loss-step.png", "loss-time.png", "accuracy-time.png"}) {
            BufferedImage img = ImageIO.read(dir.resolve(f).toFile());
            assertEquals(Charts.WIDTH, img.getWidth(), f);
            assertEquals(Charts.HEIGHT, img.getHeight(), f);
            assertFalse(Files.exists(dir.resolve(f + ".tmp")));
        }
    }

    @Test
    void mismatchedShapesAreRefused(@TempDir Path dir) {
        assertThrows(IllegalArgumentException.class,
                () -> Charts.depthLengthHeatMap(dir.resolve("x.png"), "t", new int[] {0, 50}, new int[] {8}, new double[][] {{1}}));
        assertThrows(IllegalArgumentException.class, () -> new Charts.Curve("a", new double[2], new double[3]));
        assertThrows(IllegalArgumentException.class, () -> Charts.lossAgainstStep(dir.resolve("x.png"), "t", List.of()));
    }
}
