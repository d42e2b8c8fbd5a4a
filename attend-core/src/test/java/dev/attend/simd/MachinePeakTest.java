package dev.attend.simd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

/** Sanity only: performance is measured, never asserted (the VM is shared and noisy). */
class MachinePeakTest {

    @Test
    void quickMeasurementGivesPositiveFiniteNumbers() {
        MachinePeak.Result r = MachinePeak.quick();
        assertEquals(Parallel.threads(), r.threads());
        assertEquals(FloatVector.SPECIES_PREFERRED.vectorBitSize(), r.vectorBits());
        assertPositiveFinite(r.fmaGflopsOneThread(), "fmaGflopsOneThread");
        assertPositiveFinite(r.fmaGflops(), "fmaGflops");
        assertPositiveFinite(r.readGBps(), "readGBps");
        assertTrue(r.toString().contains("GFLOP/s"), r::toString);
    }

    private static void assertPositiveFinite(double v, String what) {
        assertTrue(v > 0 && Double.isFinite(v), what + " should be positive and finite, got " + v);
    }
}
