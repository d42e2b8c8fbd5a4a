package dev.attend.cli.bench.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.attend.cli.bench.BenchResult;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The support matrix's cells: a figure where a mechanism ran, X with its reason, E with its message. */
class SupportMatrixTest {
    private final SupportMatrix m = SupportMatrix.of(SyntheticRuns.realistic());

    @Test
    void unsupportedIsXWithTheDescriptorsReasonListedOnce() {
        SupportMatrix.Cell x = cell("hyper:block=256,samples=64 (forward)", "causal self / sliding");
        assertEquals(SupportMatrix.Kind.UNSUPPORTED, x.kind());
        assertEquals("X", x.text());
        assertEquals(List.of("hyper: mask sliding:1024 is not supported (hyper supports full, causal)"), x.reasons());
        List<String> listed = m.unsupported().stream().filter(s -> s.startsWith("hyper: mask sliding:1024")).toList();
        assertEquals(1, listed.size(), "one line per distinct reason: " + m.unsupported());
        assertTrue(listed.get(0).contains("hyper:block=256,samples=16 (forward)") && listed.get(0).contains("hyper:block=256,samples=128 (forward)"),
                listed.get(0));
        assertEquals("X", cell("onnx (forward)", "causal self / sliding").text());
        assertTrue(m.unsupported().stream().anyMatch(s -> s.startsWith("onnx: no operator takes a sliding-window mask")), m.unsupported().toString());
    }

    @Test
    void failedIsEWithItsMessageAndAFigureWinsOverAFailureElsewhereInTheCell() {
        // reference ran at 1K and 2K and failed at 4K: a figure, marked.
        SupportMatrix.Cell ref = cell("reference (forward)", "causal self / causal");
        assertEquals(SupportMatrix.Kind.OK, ref.kind());
        assertTrue(ref.text().endsWith(", E") && ref.text().contains("@2K"), ref.text());
        assertEquals(List.of("over its time budget (60 s) at the first warm-up call"), ref.reasons());
        assertTrue(m.errors().stream().anyMatch(s -> s.startsWith("over its time budget (60 s)") && s.contains("reference (forward) causal L=4K")),
                m.errors().toString());
        // A cell where every case failed is E.
        BenchRun run = SyntheticRuns.tiny();
        SupportMatrix tiny = SupportMatrix.of(run);
        SupportMatrix.Cell e = tiny.cells().get(SyntheticRuns.FLASH + " (forward)").get("causal self / sliding");
        assertEquals(SupportMatrix.Kind.ERROR, e.kind());
        assertEquals("E", e.text());
        assertEquals(List.of("IllegalStateException: planted failure"), e.reasons());
        assertTrue(tiny.errors().get(0).startsWith("IllegalStateException: planted failure (" + SyntheticRuns.FLASH + " (forward) sliding:64 L=512"),
                tiny.errors().toString());
    }

    @Test
    void aFigureIsThePercentOfPeakAtTheLongestLengthAndDecodeUsesBandwidth() {
        SupportMatrix.Cell flash = cell(SyntheticRuns.FLASH + " (forward)", "causal self / causal");
        assertEquals(SupportMatrix.Kind.OK, flash.kind());
        assertEquals(65536, flash.length());
        BenchResult at64k = SyntheticRuns.realistic().results().stream().filter(r -> r.name().equals("flash causal forward L=65536")).findFirst().orElseThrow();
        assertEquals(at64k.pctPeak(), flash.figure(), 1e-9);
        assertEquals(String.format(java.util.Locale.ROOT, "%.0f%% @64K", at64k.pctPeak()), flash.text());
        SupportMatrix.Cell dec = cell("decode-f32 (decode)", "causal cross / causal-br");
        assertTrue(dec.text().contains("% bw @128K"), dec.text());
    }

    @Test
    void rowsAreMechanismAndPassColumnsArePatternAndMaskKindAndFidelityOnlyRecordsAreLeftOut() {
        assertEquals(SyntheticRuns.FLASH + " (forward)", m.rows().get(0));
        assertTrue(m.rows().indexOf(SyntheticRuns.FLASH + " (backward)") > m.rows().indexOf("onnx (forward)"), "forward rows come first: " + m.rows());
        assertEquals("noncausal self / full", m.columns().get(0));
        assertTrue(m.columns().contains("causal self / document-causal"), "document masks of every length are one column: " + m.columns());
        assertEquals(5, m.columns().size(), m.columns().toString());
        // flash's fidelity record (no timing) adds no cell of its own; a failed fidelity case does mark its cell.
        assertTrue(m.cells().get(SyntheticRuns.FLASH + " (forward)").get("causal self / causal").reasons().isEmpty());
        assertFalse(m.cells().get("hyper:block=256,samples=16 (forward)").get("causal self / causal").reasons().isEmpty());
    }

    private SupportMatrix.Cell cell(String row, String col) {
        SupportMatrix.Cell c = m.cells().get(row) == null ? null : m.cells().get(row).get(col);
        if (c == null) throw new AssertionError("no cell " + row + " x " + col + " in " + m.rows() + " x " + m.columns());
        return c;
    }
}
