package dev.attend.cli.bench.report;

import dev.attend.cli.bench.BenchResult;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * The keys every part of the report joins records on: the workload (what is computed, independent of who computes
 * it), the mechanism's name and its series (the spec without its budget parameter), the exact flash baseline, and
 * groups of masks that one chart line or one fit may span.
 */
final class Workloads {
    static final List<String> PASSES = List.of("forward", "backward", "decode");
    static final List<String> PATTERNS = List.of("NONCAUSAL_SELF", "CAUSAL_SELF", "NONCAUSAL_CROSS", "CAUSAL_CROSS");

    private Workloads() {}

    /** What a case computes: pass, mask spec and shape. Two records with the same workload ran the same problem. */
    record Workload(String pass, String mask, int batch, int qHeads, int kvHeads, int qLen, int kLen, int headDim) {
        static Workload of(BenchResult r) {
            return new Workload(r.pass(), r.mask(), r.batch(), r.qHeads(), r.kvHeads(), r.qLen(), r.kLen(), r.headDim());
        }

        /** {@code B1 Hq8 Hkv8 L4K D128} for self attention, {@code Lq1 Lk64K} when the lengths differ. */
        String shape() {
            String l = qLen == kLen ? "L" + Fmt.len(kLen) : "Lq" + Fmt.len(qLen) + " Lk" + Fmt.len(kLen);
            return "B" + batch + " Hq" + qHeads + " Hkv" + kvHeads + " " + l + " D" + headDim;
        }

        String label() {
            return pass + " " + mask + " " + shape();
        }
    }

    /** The workload without its lengths and mask: the curve a fit over lengths runs along. */
    record Family(String pass, int batch, int qHeads, int kvHeads, int headDim, boolean self, int qLen) {
        static Family of(BenchResult r) {
            boolean self = r.qLen() == r.kLen();
            return new Family(r.pass(), r.batch(), r.qHeads(), r.kvHeads(), r.headDim(), self, self ? 0 : r.qLen());
        }

        String shape() {
            return "B" + batch + " Hq" + qHeads + " Hkv" + kvHeads + " D" + headDim + (self ? "" : " Lq" + Fmt.len(qLen));
        }
    }

    /** A record with a usable time: status ok and a positive finite median. */
    static boolean timed(BenchResult r) {
        return r.status() == BenchResult.Status.OK && r.timing() != null && Double.isFinite(r.timing().medianMs())
                && r.timing().medianMs() > 0;
    }

    /** A record of measured error against exact attention. */
    static boolean fidelity(BenchResult r) {
        return r.status() == BenchResult.Status.OK && r.fidelity() != null && Double.isFinite(r.fidelity().relFrobenius());
    }

    /** The mechanism's registry name: the spec before its parameters ({@code flash:blockQ=96} is {@code flash}). */
    static String name(String spec) {
        if (spec == null) return "";
        int c = spec.indexOf(':');
        return c < 0 ? spec : spec.substring(0, c);
    }

    /** For each mechanism name, the budget parameter its fidelity records name (the first one seen). */
    static Map<String, String> budgetParams(List<BenchResult> rs) {
        Map<String, String> m = new HashMap<>();
        for (BenchResult r : rs) {
            if (r.fidelity() != null && r.fidelity().budgetParam() != null) m.putIfAbsent(name(r.mechanism()), r.fidelity().budgetParam());
        }
        return m;
    }

    /**
     * The spec with its budget parameter removed: one series of settings of the same mechanism
     * ({@code hyper:block=256,samples=64} is {@code hyper:block=256} when {@code samples} is the budget).
     */
    static String series(String spec, Map<String, String> budgetParams) {
        String param = budgetParams.get(name(spec));
        int c = spec == null ? -1 : spec.indexOf(':');
        if (param == null || c < 0) return spec;
        List<String> kept = new ArrayList<>();
        for (String kv : spec.substring(c + 1).split(",")) if (!kv.startsWith(param + "=")) kept.add(kv);
        return kept.isEmpty() ? spec.substring(0, c) : spec.substring(0, c) + ":" + String.join(",", kept);
    }

    /**
     * The spec of exact flash that speed-ups are taken against: the Attend flash spec timed most often in the run
     * (the suites time the default everywhere and other block sizes only in places); null when flash never ran.
     */
    static String flashSpec(List<BenchResult> rs) {
        Map<String, Integer> count = new LinkedHashMap<>();
        for (BenchResult r : rs) {
            if (timed(r) && "attend".equals(r.source()) && r.exact() && name(r.mechanism()).equals("flash")) count.merge(r.mechanism(), 1, Integer::sum);
        }
        return count.entrySet().stream().max(Map.Entry.comparingByValue()).map(Map.Entry::getKey).orElse(null);
    }

    /** The first timed record of each workload that {@code which} accepts. */
    static Map<Workload, BenchResult> firstTimed(List<BenchResult> rs, Predicate<BenchResult> which) {
        Map<Workload, BenchResult> m = new LinkedHashMap<>();
        for (BenchResult r : rs) if (timed(r) && which.test(r)) m.putIfAbsent(Workload.of(r), r);
        return m;
    }

    /** The exact flash timing of every workload flash ran. */
    static Map<Workload, BenchResult> flash(List<BenchResult> rs) {
        String spec = flashSpec(rs);
        return spec == null ? Map.of() : firstTimed(rs, r -> spec.equals(r.mechanism()));
    }

    /**
     * Bytes one call must read: the record's {@code bytes}, else q, k, v and the output once in fp32,
     * {@code 4 (2 B Hq Lq D + 2 B Hkv Lk D)}.
     */
    static double bytesOrQkvo(BenchResult r) {
        if (r.bytes() != null && r.bytes() > 0) return r.bytes();
        return 4.0 * (2.0 * r.batch() * r.qHeads() * r.qLen() * r.headDim() + 2.0 * r.batch() * r.kvHeads() * r.kLen() * r.headDim());
    }

    /** The mask a line or a fit is labelled with: the registry kind, or the spec for a combination. */
    static String maskKind(BenchResult r) {
        return r.maskKind() != null ? r.maskKind() : r.mask();
    }

    /**
     * Records grouped by mask kind, so a document mask whose spec grows with the length stays one line; a kind is
     * split into its specs when two specs of it ran the same mechanism at the same shape ({@code sliding:512} and
     * {@code sliding:1024} at L=4K are two lines). Keys are the labels, in order of first appearance.
     */
    static Map<String, List<BenchResult>> byMask(List<BenchResult> rs) {
        Map<String, List<BenchResult>> kinds = new LinkedHashMap<>();
        for (BenchResult r : rs) kinds.computeIfAbsent(maskKind(r), k -> new ArrayList<>()).add(r);
        Map<String, List<BenchResult>> out = new LinkedHashMap<>();
        for (Map.Entry<String, List<BenchResult>> e : kinds.entrySet()) {
            Map<List<Object>, String> specAt = new HashMap<>();
            boolean collide = false;
            for (BenchResult r : e.getValue()) {
                List<Object> at = List.of(r.mechanism(), r.pass(), r.batch(), r.qHeads(), r.kvHeads(), r.qLen(), r.kLen(), r.headDim());
                String prev = specAt.putIfAbsent(at, r.mask());
                if (prev != null && !prev.equals(r.mask())) collide = true;
            }
            if (!collide) {
                out.put(e.getKey(), e.getValue());
            } else {
                for (BenchResult r : e.getValue()) out.computeIfAbsent(r.mask(), k -> new ArrayList<>()).add(r);
            }
        }
        return out;
    }

    /**
     * How tables and charts name specs: the bare mechanism name where the run has one spec of that name
     * ({@code flash} for {@code flash:blockQ=96,blockK=96}), else the spec. Unknown specs map to themselves.
     */
    static java.util.function.UnaryOperator<String> shortNames(List<BenchResult> rs) {
        Map<String, Integer> perName = new HashMap<>();
        for (String spec : distinct(rs.stream().map(BenchResult::mechanism).filter(s -> s != null).toList())) perName.merge(name(spec), 1, Integer::sum);
        return spec -> spec != null && perName.getOrDefault(name(spec), 0) == 1 ? name(spec) : spec;
    }

    /** The specs that {@link #shortNames} shortens, as {@code name = spec}, for a note under a table. */
    static List<String> shortened(List<BenchResult> rs, List<String> shown) {
        java.util.function.UnaryOperator<String> s = shortNames(rs);
        return distinct(shown).stream().filter(spec -> spec != null && !s.apply(spec).equals(spec)).map(spec -> s.apply(spec) + " is " + spec).toList();
    }

    /** The distinct values in order of first appearance. */
    static <T> List<T> distinct(List<T> xs) {
        Set<T> seen = new HashSet<>();
        List<T> out = new ArrayList<>();
        for (T x : xs) if (seen.add(x)) out.add(x);
        return out;
    }
}
