package dev.attend.attention;

import dev.attend.attention.mask.Mask;
import dev.attend.attention.mask.MaskRegistry;
import dev.attend.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Properties of every registered mechanism over every library mask, on random small problems: a key a row
 * cannot see never influences it (set that key and its value to NaN: the row does not change); fully masked
 * rows give 0 and LSE -inf; finite inputs give finite outputs wherever the fp64 reference is finite. A failure
 * names the case, which reproduces it (seeded).
 */
class MaskedKeysPropertyTest {
    static List<String> names() {
        return MechanismContractTest.names();
    }

    @ParameterizedTest
    @MethodSource("names")
    void hiddenKeysNeverInfluenceARow(String name) {
        AttentionMechanism m = Attention.of(name);
        int ran = 0;
        for (Cases.Case c0 : Cases.random(200, 77 + name.hashCode(), 90)) {
            if (ran == 40) break;
            Cases.Case c = MechanismContractTest.supportedVariant(m, c0);
            if (c == null) continue;
            AttentionProblem p = c.problem();
            AttentionResult want = Attention.reference().forward(p), got = m.forward(p);
            checkFiniteWhereTheReferenceIs(c, want, got);
            checkHiddenKey(c, m, got, new Random(c.name().hashCode()));
            ran++;
        }
        assertTrue(ran >= 5, name + ": only " + ran + " supported problems");
    }

    /** Every library mask is drawn by {@link Cases}: a new registry entry must be added to the generator too. */
    @Test
    void theRandomProblemsCoverEveryLibraryMask() {
        Set<String> kinds = new HashSet<>();
        for (Cases.Case c : Cases.random(2000, 5, 40)) c.problem().mask().kind().ifPresent(kinds::add);
        Set<String> missing = new HashSet<>(MaskRegistry.names());
        missing.removeAll(kinds);
        assertEquals(Set.of(), missing, "library masks no random problem uses");
    }

    private static void checkFiniteWhereTheReferenceIs(Cases.Case c, AttentionResult want, AttentionResult got) {
        float[] w = want.out().toArray(), g = got.out().toArray(), wl = want.lse().toArray();
        int d = (int) want.out().dim(3);
        for (int i = 0; i < w.length; i++) {
            if (Float.isFinite(w[i]) && !Float.isFinite(g[i])) fail(c.name() + ": non-finite output " + g[i] + " where the reference has " + w[i]);
        }
        for (int row = 0; row < wl.length; row++) {
            if (wl[row] != Float.NEGATIVE_INFINITY) continue;
            for (int x = 0; x < d; x++) assertEquals(0f, g[row * d + x], c.name() + ": fully masked row " + row);
            if (got.hasLse()) assertEquals(Float.NEGATIVE_INFINITY, got.lse().toArray()[row], c.name() + ": LSE of fully masked row " + row);
        }
    }

    /** Sets one key and its value to NaN; every row that cannot see it must come out as before. */
    private static void checkHiddenKey(Cases.Case c, AttentionMechanism m, AttentionResult before, Random r) {
        AttentionProblem p = c.problem();
        int b = r.nextInt(p.batch()), hk = r.nextInt(p.hkv()), j = r.nextInt(p.lk()), group = p.hq() / p.hkv();
        Tensor k = p.k().copy(), v = p.v().copy();
        for (int x = 0; x < p.headDim(); x++) {
            k.set(Float.NaN, b, hk, j, x);
            v.set(Float.NaN, b, hk, j, x);
        }
        AttentionProblem hidden = new AttentionProblem(p.q(), k, v, p.mask(), p.scoreMod(), p.scale());
        AttentionResult after;
        try {
            after = m.forward(hidden);
        } catch (IllegalArgumentException e) {
            // A Q8_0 cache refuses non-finite values outright: that is a clear error, not an influence.
            assertTrue(e.getMessage().contains("finite"), c.name() + ": " + e.getMessage());
            return;
        }
        Mask mask = p.mask();
        for (int h = hk * group; h < (hk + 1) * group; h++) {
            for (int i = 0; i < p.lq(); i++) {
                if (mask.visible(b, h, i, j, p.lq(), p.lk())) continue;
                for (int x = 0; x < p.headDim(); x++) {
                    float a = before.out().get(b, h, i, x), z = after.out().get(b, h, i, x);
                    assertEquals(a, z, 1e-6 * Math.max(1, Math.abs(a)), c.name() + ": row (" + b + ", " + h + ", " + i
                            + ") changed when hidden key " + j + " became NaN");
                }
                if (before.hasLse()) assertEquals(before.lse().get(b, h, i), after.lse().get(b, h, i), 1e-6 * Math.max(1, Math.abs(before.lse().get(b, h, i))));
            }
        }
    }
}
