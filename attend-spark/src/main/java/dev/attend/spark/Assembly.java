package dev.attend.spark;

import dev.attend.tensor.DType;
import dev.attend.tensor.Npy;
import dev.attend.tensor.Tensor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * The whole output from its part files, on request: {@code out [B, Hq, Lq, D]} and {@code lse [B, Hq, Lq]} as single
 * {@code .npy} files. The driver reads each part back (positioned reads), puts its rows where the plan says they
 * belong, and writes each file whole or not at all. It holds the whole output in memory once; leave it out for outputs
 * larger than the driver's memory and read the parts instead.
 */
final class Assembly {
    private Assembly() {}

    static void assemble(ShardPlan plan, List<String> outParts, List<String> lseParts, String outUri, String lseUri) {
        int b = plan.batch(), hq = plan.hq(), lq = plan.lq(), d = plan.headDim(), group = plan.hq() / plan.hkv();
        Tensor out = Tensor.zeros((long) b, hq, lq, d);
        Tensor lse = lseUri == null ? null : Tensor.zeros((long) b, hq, lq, 1);
        float[] row = new float[d];
        try {
            for (ShardPlan.Part p : plan.parts()) {
                int h0 = p.kvHead0() * group, heads = (p.kvHead1() - p.kvHead0()) * group;
                long[] read = {0};
                StoredTensor po = StoredTensor.open("out part", outParts.get(p.index()));
                Tensor o = po.read(0, heads, List.of(new ShardPlan.Range(0, p.length())), read);
                Tensor l = null;
                if (lse != null) {
                    StoredTensor pl = StoredTensor.openLse("lse part", lseParts.get(p.index()));
                    l = pl.read(0, heads, List.of(new ShardPlan.Range(0, p.length())), read);
                }
                for (int bi = 0; bi < b; bi++) {
                    for (int h = 0; h < heads; h++) {
                        int local = 0;
                        for (ShardPlan.Range r : p.rows()) {
                            for (int i = r.start(); i < r.end(); i++, local++) {
                                long src = ((long) bi * heads + h) * p.length() + local;
                                long dst = ((long) bi * hq + h0 + h) * lq + i;
                                o.readRow(src, row, 0);
                                out.writeRow(dst, row, 0);
                                if (l != null) lse.set(l.get(bi, h, local, 0), bi, h0 + h, i, 0);
                            }
                        }
                    }
                }
            }
            Storage.writeWhole(outUri, "driver", s -> Npy.write(s, out, DType.F32));
            if (lse != null) {
                Tensor flat = lse.reshape(b, hq, lq);
                Storage.writeWhole(lseUri, "driver", s -> Npy.write(s, flat, DType.F32));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("assembling " + outUri + ": " + e.getMessage(), e);
        }
    }
}
