package dev.attend.cli.bench;

import dev.attend.attention.Workload;
import dev.attend.attention.mask.Mask;
import dev.attend.attention.mask.MaskType;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Cases built from the registries: exact FLOPs, support answered by the descriptors, every mask in the grid. */
class KernelCasesTest {

    @Test
    void flopsAreTheExactAreaOfEveryLibraryMaskOnEveryPattern() {
        for (MaskType t : MaskSamples.types()) {
            for (int[] lens : t.anyLengths() ? List.of(new int[] {64, 64}, new int[] {16, 64}, new int[] {64, 16}) : List.of(new int[] {64, 64})) {
                String spec = lens[0] == lens[1] ? MaskSamples.at(t, lens[0], 2, 3) : t.name().equals("block-sparse")
                        ? MaskSamples.crossLayout(lens[0], lens[1]) : MaskSamples.at(t, lens[1], 2, 3);
                Workload.Shape s = new Workload.Shape(2, 4, 2, lens[0], lens[1], 16);
                Mask m = Mask.parse(spec);
                long brute = 0;
                for (int b = 0; b < 2; b++) {
                    for (int q = 0; q < lens[0]; q++) for (int k = 0; k < lens[1]; k++) if (m.visible(b, 0, q, k, lens[0], lens[1])) brute++;
                }
                brute *= 4;  // heads: the library masks do not depend on the head
                for (Workload.Pass pass : new Workload.Pass[] {Workload.Pass.FORWARD, Workload.Pass.BACKWARD}) {
                    BenchCase c = KernelCases.of("kernels", new Workload("flash", pass, s, Workload.MaskAt.fixed(spec)), null);
                    assertNull(c.unsupported(), spec);
                    assertEquals(4.0 * brute * 16 * (pass == Workload.Pass.BACKWARD ? 2.5 : 1), c.flops(), spec + " " + pass);
                }
            }
        }
    }

    @Test
    void theGridHasEveryRegisteredMaskAndMechanism() {
        List<BenchCase> grid = BenchSuite.kernels(true);
        for (MaskType t : MaskSamples.types()) {
            assertTrue(grid.stream().anyMatch(c -> Mask.parse(c.mask()).kind().orElse("").equals(t.name())), t.name());
        }
        for (String name : dev.attend.attention.Attention.names()) {
            assertTrue(grid.stream().anyMatch(c -> c.mechanism().startsWith(name)), name);
        }
    }

    @Test
    void unsupportedCombinationsCarryTheDescriptorsReasonWithoutAllocating() {
        // A 64K x 64K problem would need gigabytes: the support check runs on stand-in tensors.
        BenchCase c = KernelCases.of("kernels", new Workload("decode-f32", Workload.Pass.FORWARD, Workload.Shape.self(1, 8, 8, 65536, 128),
                Workload.MaskAt.fixed("sliding:1024")), null);
        assertEquals("mechanism 'decode-f32' does not support this problem: masks: expected one of causal-br, full, got 'sliding:1024'",
                c.unsupported());
        BenchCase bwd = KernelCases.of("kernels", new Workload("decode-f32", Workload.Pass.BACKWARD, Workload.Shape.self(1, 8, 8, 64, 128),
                Workload.MaskAt.fixed("full")), null);
        assertEquals("mechanism 'decode-f32' has no backward pass", bwd.unsupported());
        BenchCase ok = KernelCases.of("kernels", new Workload("flash", Workload.Pass.BACKWARD, Workload.Shape.self(1, 8, 8, 64, 128),
                Workload.MaskAt.fixed("sliding:16")), null);
        assertNull(ok.unsupported());
    }

    @Test
    void everyRecurrentMechanismDecodesAfterAHistoryAndTheOthersAreRefused() {
        List<BenchCase> decode = BenchSuite.decode(true);
        for (var d : dev.attend.attention.Attention.descriptors()) {
            if (!d.capabilities().recurrent()) continue;
            List<BenchCase> mine = decode.stream().filter(c -> c.mechanism().startsWith(d.name()) && c.dims().qHeads() == 1).toList();
            assertTrue(mine.size() >= 1, d.name() + " has recurrent decode cases");
            assertTrue(mine.stream().allMatch(c -> c.unsupported() == null && c.bytes() == 0 && c.flops() > 0), d.name());
        }
        BenchCase linear = KernelCases.of("decode", new Workload("linear", Workload.Pass.DECODE, new Workload.Shape(1, 2, 2, 1, 100, 16),
                Workload.MaskAt.fixed("causal-br")), null);
        Object out = linear.setup().get();
        assertTrue(out instanceof float[] f && f.length == 16);
        BenchCase none = KernelCases.of("decode", new Workload("hyper", Workload.Pass.DECODE, new Workload.Shape(1, 2, 2, 1, 100, 16),
                Workload.MaskAt.fixed("causal-br")), null);
        assertEquals("mechanism 'hyper' does not decode (neither over a KV cache nor with a recurrent state)", none.unsupported());
    }
}
