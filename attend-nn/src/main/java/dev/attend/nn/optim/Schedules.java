package dev.attend.nn.optim;

import dev.attend.nn.autograd.Var;

import java.util.Collection;

/** Learning-rate schedules and gradient clipping. */
public final class Schedules {
    private Schedules() {}

    /**
     * Linear warm-up from 0 to {@code peak} over {@code warmup} steps, then a cosine from {@code peak} down to
     * {@code floor} at {@code total}, flat after. {@code step} counts from 0.
     */
    public static float warmupCosine(long step, long warmup, long total, float peak, float floor) {
        if (warmup < 0 || total < warmup) throw new IllegalArgumentException("schedule: expected 0 <= warmup <= total, got " + warmup + " and " + total);
        if (step < warmup) return peak * (step + 1) / (float) warmup;
        if (step >= total) return floor;
        double t = (double) (step - warmup) / Math.max(1, total - warmup);
        return (float) (floor + (peak - floor) * 0.5 * (1 + Math.cos(Math.PI * t)));
    }

    /**
     * Scales every gradient so that their global L2 norm is at most {@code maxNorm}; returns the norm before clipping
     * (in double, summed in parameter order: reproducible). A non-finite norm is returned unchanged and nothing is
     * scaled, so the caller can refuse the step.
     */
    public static double clipGradNorm(Collection<Var> params, double maxNorm) {
        if (!(maxNorm > 0)) throw new IllegalArgumentException("maxNorm: expected > 0, got " + maxNorm);
        double s = 0;
        for (Var p : params) {
            if (p.grad() == null) continue;
            for (float g : p.grad().heapArray()) s += (double) g * g;
        }
        double norm = Math.sqrt(s);
        if (Double.isFinite(norm) && norm > maxNorm) {
            float k = (float) (maxNorm / (norm + 1e-6));
            for (Var p : params) {
                if (p.grad() == null) continue;
                float[] g = p.grad().heapArray();
                for (int i = 0; i < g.length; i++) g[i] *= k;
            }
        }
        return norm;
    }
}
