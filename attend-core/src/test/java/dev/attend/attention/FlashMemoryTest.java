package dev.attend.attention;

import dev.attend.attention.mask.Masks;
import dev.attend.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertEquals;

class FlashMemoryTest {
    @Test
    void forwardAt64KTokensNeedsNoLxLBuffer() {
        int l = 65536, d = 64;
        Tensor q = Tensor.randn(1, 1, 1, l, d), k = Tensor.randn(2, 1, 1, l, d), v = Tensor.randn(3, 1, 1, l, d);
        AttentionProblem p = AttentionProblem.of(q, k, v, Masks.causal());
        // Warm up first: until C2 compiles the kernels, the Vector API boxes its vectors and allocates garbage
        // that is no working memory of the algorithm.
        Attention.flash().forward(p);
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long before = threads.getTotalThreadAllocatedBytes();
        AttentionResult r = Attention.flash().forward(p);
        long allocated = threads.getTotalThreadAllocatedBytes() - before;
        long outputs = 4L * (r.out().size() + r.lse().size());
        long extra = allocated - outputs;
        // Everything allocated beyond the outputs counts (an upper bound on what is live at once). An L x L
        // score matrix alone would be 16 GiB; the tiles and the block mask stay far below 64 MB.
        assertTrue(extra < 64L << 20, "extra working memory " + (extra >> 20) + " MB");
        // The first query sees only the first key: its output is exactly that key's value row.
        for (int x = 0; x < d; x++) assertEquals(v.get(0, 0, 0, x), r.out().get(0, 0, 0, x), 1e-6);
    }
}
