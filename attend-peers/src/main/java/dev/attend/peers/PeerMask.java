package dev.attend.peers;

import dev.attend.attention.Support;
import dev.attend.attention.Workload;

/**
 * The masks the peers express, as Attend's mask specs define them (README, "Masks"): {@code full}, {@code causal}
 * (query {@code i} sees keys {@code k <= i}, top-left) and {@code causal-br} (keys {@code k <= i + Lk - Lq},
 * bottom-right, as in decoding). Other specs (sliding windows, documents, ...) have no counterpart in the peers'
 * fused or documented paths, so a peer reports them unsupported instead of approximating them.
 */
enum PeerMask {
    FULL, CAUSAL, CAUSAL_BR;

    /**
     * The mask of {@code w} in its simplest equivalent form at w's lengths: causal at {@code Lq == Lk} is
     * bottom-right causal, and bottom-right causal with one query is full attention over the cache. Null for a spec
     * the peers do not express.
     */
    static PeerMask of(Workload w) {
        int lq = w.shape().qLen(), lk = w.shape().kLen();
        PeerMask m = switch (w.maskSpec().strip()) {
            case "full" -> FULL;
            case "causal" -> CAUSAL;
            case "causal-br" -> CAUSAL_BR;
            default -> null;
        };
        if (m == CAUSAL && lq == lk) m = CAUSAL_BR;
        if (m == CAUSAL_BR && lq == 1) m = FULL;
        return m;
    }

    /** Checks every peer shares: forward or decode, a mask above, no fully masked query row. */
    static Support common(Workload w) {
        if (w.pass() == Workload.Pass.BACKWARD) return Support.no("pass backward: peers time forward and decode only");
        PeerMask m = of(w);
        if (m == null) {
            return Support.no("mask '" + w.maskSpec() + "': peers express full, causal and causal-br only");
        }
        if (m == CAUSAL_BR && w.shape().qLen() > w.shape().kLen()) {
            return Support.no("mask causal-br with Lq > Lk: the first Lq - Lk queries see no key");
        }
        return Support.YES;
    }

    /** The number of keys query {@code i} sees: keys {@code [0, visible)}. */
    int visible(int i, int lq, int lk) {
        return switch (this) {
            case FULL -> lk;
            case CAUSAL -> Math.min(i + 1, lk);
            case CAUSAL_BR -> Math.max(0, Math.min(lk, i + lk - lq + 1));
        };
    }
}
