package dev.attend.attention;

import dev.attend.attention.decode.DecodeAttention;
import dev.attend.attention.decode.KvCache;
import dev.attend.tensor.DType;

import java.util.ArrayList;
import java.util.List;

import static dev.attend.attention.Workload.MaskAt.fixed;

/**
 * The workloads Attend is measured on, defined once: {@code attend bench} times them at these sizes and the
 * test suite checks each against the fp64 reference at small lengths ({@code WorkloadsTest}), so what is
 * measured is what is tested.
 */
public final class Workloads {
    private Workloads() {}

    /**
     * Exact attention, fp32, B=1, D=128: flash forward over lengths and masks (Hq = Hkv = 8), backward, and decode
     * of one query (Hq=32, Hkv=8) over a long KV cache in each storage format.
     */
    public static List<Workload> exact(boolean quick) {
        List<Workload> w = new ArrayList<>();
        int[] lengths = quick ? new int[] {1024, 4096} : new int[] {1024, 2048, 4096, 8192};
        int longest = lengths[lengths.length - 1];
        for (int l : lengths) w.add(forward("causal", l));
        w.add(forward("full", quick ? 2048 : 4096));
        w.add(forward("sliding:1024", longest));
        w.add(new Workload("flash", Workload.Pass.FORWARD, self(longest), Workloads::fourDocumentsCausal));
        for (int l : quick ? new int[] {2048} : new int[] {2048, 8192}) w.add(backward("causal", l));
        if (!quick) w.add(backward("sliding:1024", longest));
        for (int n : quick ? new int[] {} : new int[] {4096, 16384}) w.add(decode(DType.F32, n));
        int cache = quick ? 16 * 1024 : 64 * 1024;
        for (DType f : KvCache.FORMATS) w.add(decode(f, cache));
        return w;
    }

    /** Four causal documents of {@code lq / 4} tokens (the last takes the remainder); one document below 4 tokens. */
    static String fourDocumentsCausal(int lq, int lk) {
        if (lq < 4) return "document-causal:" + lq;
        int doc = lq / 4;
        return "document-causal:" + doc + "," + doc + "," + doc + "," + (lq - 3 * doc);
    }

    /** Self attention B=1, Hq=Hkv=8, D=128: the reference shape of the exact kernels. */
    private static Workload.Shape self(int l) {
        return Workload.Shape.self(1, 8, 8, l, 128);
    }

    private static Workload forward(String mask, int l) {
        return new Workload(FlashAttention.NAME, Workload.Pass.FORWARD, self(l), fixed(mask));
    }

    private static Workload backward(String mask, int l) {
        return new Workload(FlashAttention.NAME, Workload.Pass.BACKWARD, self(l), fixed(mask));
    }

    /** One query of 32 heads over a cache of {@code n} tokens and 8 kv heads. */
    private static Workload decode(DType format, int n) {
        return new Workload(DecodeAttention.nameOf(format), Workload.Pass.DECODE, new Workload.Shape(1, 32, 8, 1, n, 128), fixed("causal-br"));
    }
}
