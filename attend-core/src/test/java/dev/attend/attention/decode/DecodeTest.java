package dev.attend.attention.decode;

import dev.attend.attention.Attention;
import dev.attend.attention.AttentionProblem;
import dev.attend.attention.AttentionResult;
import dev.attend.attention.mask.Masks;
import dev.attend.tensor.DType;
import dev.attend.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.*;

class DecodeTest {
    private static KvCache filled(DType f, Tensor k, Tensor v) {
        KvCache c = new KvCache(f, (int) k.dim(0), (int) k.dim(1), (int) k.dim(3), 7);
        c.append(k, v);
        return c;
    }

    private static double maxDiff(Tensor a, Tensor b) {
        float[] x = a.toArray(), y = b.toArray();
        double m = 0;
        for (int i = 0; i < x.length; i++) if (x[i] != y[i]) m = Math.max(m, Math.abs((double) x[i] - y[i]));
        return m;
    }

    @ParameterizedTest
    @CsvSource({
            "F32, 1, 4, 1, 1, 3000, 64", "F32, 2, 8, 2, 3, 2049, 128", "F32, 1, 1, 1, 1, 1, 16", "F32, 1, 2, 1, 2, 5, 80",
            "F16, 1, 4, 1, 1, 3000, 64", "F16, 2, 8, 2, 2, 1500, 72", "F16, 1, 2, 1, 1, 7, 8",
            "BF16, 1, 4, 1, 1, 3000, 64", "BF16, 2, 8, 2, 2, 1500, 72", "Q8_0, 1, 4, 1, 1, 3000, 64", "Q8_0, 2, 8, 2, 4, 1025, 128"})
    void matchesTheReferenceOnWhatTheCacheStores(DType f, int b, int hq, int hkv, int lq, int n, int d) {
        Tensor q = Tensor.randn(1, b, hq, lq, d), k = Tensor.randn(2, b, hkv, n, d), v = Tensor.randn(3, b, hkv, n, d);
        KvCache cache = filled(f, k, v);
        AttentionResult got = Attention.decode(f).attend(q, cache);
        // Exact attention over the stored (rounded) keys and values, queries at the last positions.
        AttentionProblem stored = AttentionProblem.of(q, cache.dequantized(true), cache.dequantized(false), Masks.causalBottomRight());
        AttentionResult want = Attention.reference().forward(stored);
        assertEquals(0, maxDiff(want.out(), got.out()), 2e-5);
        assertEquals(0, maxDiff(want.lse(), got.lse()), 2e-5 * Math.log(n + 1));
        if (f != DType.F32) {
            // Against the unrounded inputs: within what the format's rounding allows.
            AttentionResult exact = Attention.reference().forward(AttentionProblem.of(q, k, v, Masks.causalBottomRight()));
            double err = maxDiff(exact.out(), got.out());
            // Measured: F16 3e-5..5e-5 (3.5e-4 over 7 keys), BF16 2e-4..4e-4, Q8_0 7e-4..1.6e-3 on these inputs; the
            // bounds leave a margin of 3x or more.
            assertEquals(0, err, f == DType.F16 ? 1e-3 : f == DType.BF16 ? 2.5e-3 : 7e-3, f + " error against the exact inputs");
        }
    }

    @ParameterizedTest
    @CsvSource({"F32", "F16", "BF16", "Q8_0"})
    void theSameCallGivesTheSameBitsColdAndOnceCompiled(DType f) {
        // reduceLanes(ADD) adds lanes in one order interpreted and another once C2 compiles it: a row's softmax sum
        // taken that way made the MechanismContractTest's bit-identity check fail at random (1 ulp).
        Tensor q = Tensor.randn(11, 1, 4, 1, 32), k = Tensor.randn(12, 1, 1, 40, 32), v = Tensor.randn(13, 1, 1, 40, 32);
        KvCache cache = filled(f, k, v);
        float[] first = Attention.decode(f).attend(q, cache).out().toArray();
        for (int call = 0; call < 3000; call++) {
            assertArrayEquals(first, Attention.decode(f).attend(q, cache).out().toArray(), "call " + call);
        }
    }

    @Test
    void q8StorageIsWithinItsQuantisationBound() {
        Tensor k = Tensor.randn(5, 1, 2, 300, 64);
        KvCache c = filled(DType.Q8_0, k, k);
        float[] x = k.toArray(), y = c.dequantized(true).toArray();
        for (int blk = 0; blk < x.length / 32; blk++) {
            float amax = 0;
            for (int i = 0; i < 32; i++) amax = Math.max(amax, Math.abs(x[blk * 32 + i]));
            for (int i = 0; i < 32; i++) {
                assertTrue(Math.abs(x[blk * 32 + i] - y[blk * 32 + i]) <= amax / 127 / 2 * 1.0001f, "element " + (blk * 32 + i));
            }
        }
    }

    @Test
    void incrementalDecodingEqualsFullRecomputation() {
        int n = 200, d = 32;
        Tensor q = Tensor.randn(1, 1, 4, n, d), k = Tensor.randn(2, 1, 2, n, d), v = Tensor.randn(3, 1, 2, n, d);
        AttentionResult full = Attention.flash().forward(AttentionProblem.of(q, k, v, Masks.causal()));
        KvCache cache = new KvCache(DType.F32, 1, 2, d, 1);
        for (int t = 0; t < n; t++) {
            cache.append(k.slice(2, t, t + 1), v.slice(2, t, t + 1));
            AttentionResult step = Attention.decode(DType.F32).attend(q.slice(2, t, t + 1), cache);
            for (int h = 0; h < 4; h++) {
                assertEquals(full.lse().get(0, h, t), step.lse().get(0, h, 0), 1e-5, "lse at step " + t);
                for (int x = 0; x < d; x++) assertEquals(full.out().get(0, h, t, x), step.out().get(0, h, 0, x), 2e-5);
            }
        }
        assertEquals(n, cache.length());
    }

    @Test
    void causality_outputAtIDependsOnlyOnThePrefix() {
        // CAB's causality test: output[i] on the full input equals the output on input[:i+1].
        int n = 64, d = 16;
        Tensor q = Tensor.randn(1, 1, 2, n, d), k = Tensor.randn(2, 1, 2, n, d), v = Tensor.randn(3, 1, 2, n, d);
        AttentionResult full = Attention.flash().forward(AttentionProblem.of(q, k, v, Masks.causal()));
        for (int i : new int[] {0, 1, 17, 63}) {
            AttentionResult prefix = Attention.flash().forward(AttentionProblem.of(q.slice(2, 0, i + 1),
                    k.slice(2, 0, i + 1), v.slice(2, 0, i + 1), Masks.causal()));
            for (int h = 0; h < 2; h++) {
                for (int x = 0; x < d; x++) assertEquals(full.out().get(0, h, i, x), prefix.out().get(0, h, i, x), 1e-6);
            }
        }
    }

    @Test
    void capacitiesThatCannotBeStoredAreRefusedUpFront() {
        int max = KvCache.maxTokens(128);
        var e = assertThrows(IllegalArgumentException.class, () -> new KvCache(DType.F32, 1, 8, 128, 1 << 24));
        assertEquals("initialCapacity: at most " + max + " tokens fit per (batch, kv head) at head dim 128 (one array of under 2^31"
                + " elements per head), got 16777216", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new KvCache(DType.F32, 1, 8, 128, 1 << 25));
        assertTrue(e.getMessage().startsWith("initialCapacity: at most " + max), e.getMessage());
        // Whole tiles of values (D padded to vectors) under 2^31 elements per head.
        assertEquals((Integer.MAX_VALUE - 64L) / 128 / KvCache.TILE * KvCache.TILE, max);
        assertTrue((long) max * 128 < Integer.MAX_VALUE);
        KvCache c = new KvCache(DType.F32, 1, 1, 32, 16);
        e = assertThrows(IllegalArgumentException.class, () -> c.append(null, null));
        assertEquals("k: expected a tensor, got null", e.getMessage());
    }

    @Test
    void decodeIsARegisteredMechanism() {
        for (DType f : KvCache.FORMATS) {
            DecodeAttention m = (DecodeAttention) Attention.of(DecodeAttention.nameOf(f));
            assertEquals(f, m.format());
            Tensor q = Tensor.randn(1, 1, 4, 3, 64), k = Tensor.randn(2, 1, 2, 50, 64), v = Tensor.randn(3, 1, 2, 50, 64);
            KvCache cache = m.newCache(1, 2, 64, 8);
            cache.append(k, v);
            // forward on the whole problem stores k and v first: the same answer as decoding over the cache.
            AttentionResult a = m.attend(q, cache), b = m.forward(AttentionProblem.of(q, k, v, Masks.causalBottomRight()));
            assertArrayEquals(a.out().toArray(), b.out().toArray());
            // full mask: every query sees the whole cache
            AttentionResult full = m.forward(AttentionProblem.of(q, k, v, Masks.full()));
            AttentionResult want = Attention.reference().forward(AttentionProblem.of(q, cache.dequantized(true), cache.dequantized(false), Masks.full()));
            assertEquals(0, maxDiff(want.out(), full.out()), 2e-5);
        }
        var e = assertThrows(IllegalArgumentException.class, () -> Attention.decode(DType.BF16).attend(Tensor.zeros(1, 2, 1, 32),
                new KvCache(DType.F32, 1, 2, 32, 4)));
        assertEquals("cache: mechanism 'decode-bf16' reads BF16 caches, got a F32 cache", e.getMessage());
    }

    /**
     * Every finite F16 value (subnormals and both zeros too) comes back exactly from the vector kernel: one key per
     * head, so each output row is its value row times a softmax weight of exactly 1.
     */
    @Test
    void everyFiniteF16ValueIsReadExactly() {
        List<Float> finite = new ArrayList<>();
        for (int bits = 0; bits < 1 << 16; bits++) {
            float x = Float.float16ToFloat((short) bits);
            if (Float.isFinite(x)) finite.add(x);
        }
        int d = 128, heads = (finite.size() + d - 1) / d;
        float[] values = new float[heads * d];
        for (int i = 0; i < values.length; i++) values[i] = finite.get(i % finite.size());
        KvCache cache = new KvCache(DType.F16, 1, heads, d, 1);
        cache.append(Tensor.zeros(1, heads, 1, d), Tensor.of(values, 1, heads, 1, d));
        float[] got = Attention.decode(DType.F16).attend(Tensor.zeros(1, heads, 1, d), cache).out().toArray();
        // (A zero sum is +0 whatever the sign of the value: the output adds weight x value to a zeroed accumulator.)
        for (int i = 0; i < values.length; i++) assertTrue(values[i] == got[i], "value " + values[i] + " at " + i + ", got " + got[i]);
    }

    @Test
    void anF16CacheRefusesValuesBeyondItsRange() {
        KvCache cache = new KvCache(DType.F16, 1, 2, 8, 4);
        Tensor k = Tensor.randn(1, 1, 2, 3, 8), v = Tensor.randn(2, 1, 2, 3, 8);
        v.set(70000f, 0, 1, 2, 5);
        var e = assertThrows(IllegalArgumentException.class, () -> cache.append(k, v));
        assertEquals("v: token 2 of (b=0, kv head 1) holds 70000.0 at dimension 5, beyond F16's largest finite value 65504"
                + " (nothing of this call was appended)", e.getMessage());
        assertEquals(0, cache.length());
        v.set(65504f, 0, 1, 2, 5);  // the largest finite half is stored as it is
        cache.append(k, v);
        assertEquals(65504f, cache.dequantized(false).get(0, 1, 2, 5));
    }

    @Test
    void badInputsAreRefusedNamingTheArgument() {
        var e = assertThrows(IllegalArgumentException.class, () -> new KvCache(DType.Q8_0, 1, 1, 48, 4));
        assertTrue(e.getMessage().contains("headDim: Q8_0 needs a multiple of 32, got 48"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new KvCache(null, 1, 1, 32, 4));
        assertEquals("format: expected one of [F32, F16, BF16, Q8_0], got null", e.getMessage());
        KvCache c = new KvCache(DType.F32, 1, 2, 32, 4);
        e = assertThrows(IllegalArgumentException.class, () -> Attention.decode(DType.F32).attend(Tensor.zeros(1, 2, 1, 32), c));
        assertTrue(e.getMessage().contains("empty cache"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> c.append(Tensor.zeros(1, 3, 1, 32), Tensor.zeros(1, 3, 1, 32)));
        assertTrue(e.getMessage().startsWith("k: expected shape [1, 2, T, 32]"), e.getMessage());
        c.append(Tensor.zeros(1, 2, 1, 32), Tensor.zeros(1, 2, 1, 32));
        e = assertThrows(IllegalArgumentException.class, () -> Attention.decode(DType.F32).attend(Tensor.zeros(1, 2, 2, 32), c));
        assertTrue(e.getMessage().contains("expected 1 to 1 queries"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Attention.decode(DType.F32).attend(Tensor.zeros(1, 3, 1, 32), c));
        assertTrue(e.getMessage().startsWith("q: expected shape [1, a multiple of 2, Lq, 32]"), e.getMessage());
    }
}
