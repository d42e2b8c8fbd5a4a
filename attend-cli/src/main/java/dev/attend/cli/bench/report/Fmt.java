package dev.attend.cli.bench.report;

import java.util.Locale;

/** How the report writes numbers: fixed locale, as many digits as a reader can use, empty for "not applicable". */
final class Fmt {
    private Fmt() {}

    /** A value with {@code decimals} digits after the point, or "" for null or non-finite. */
    static String num(Double v, int decimals) {
        if (v == null || !Double.isFinite(v)) return "";
        return String.format(Locale.ROOT, "%." + decimals + "f", v);
    }

    /** Milliseconds: three significant figures at least, no more decimals than a timer resolves. */
    static String ms(double v) {
        if (!Double.isFinite(v)) return "";
        if (v >= 100) return String.format(Locale.ROOT, "%.1f", v);
        if (v >= 1) return String.format(Locale.ROOT, "%.2f", v);
        return String.format(Locale.ROOT, "%.3f", v);
    }

    /** A small or wide-ranging quantity (errors, ratios far from 1) in scientific notation: {@code 3.2e-04}. */
    static String sci(Double v) {
        if (v == null) return "";
        if (Double.isNaN(v)) return "NaN";
        return String.format(Locale.ROOT, "%.1e", v);
    }

    /** A ratio: two decimals near 1, fewer far from it ({@code 0.43x}, {@code 26x}). */
    static String ratio(double r) {
        if (!Double.isFinite(r)) return "";
        if (r >= 10) return String.format(Locale.ROOT, "%.0fx", r);
        return String.format(Locale.ROOT, "%.2fx", r);
    }

    /** A sequence length as people say it: {@code 512}, {@code 4K}, {@code 64K}, {@code 1M}; exact otherwise. */
    static String len(double l) {
        if (!Double.isFinite(l)) return "";
        long v = Math.round(l);
        if (v >= 1 << 20 && v % (1 << 20) == 0) return (v >> 20) + "M";
        if (v >= 1024 && v % 1024 == 0) return (v >> 10) + "K";
        return Long.toString(v);
    }

    /** A parameter value as written: {@code 64}, {@code 0.25}. */
    static String plain(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e15) return Long.toString((long) v);
        return String.format(Locale.ROOT, "%s", v);
    }

    /** Bytes in binary units: {@code 512 B}, {@code 1.5 KiB}, {@code 12.0 MiB}. */
    static String bytes(Long b) {
        if (b == null) return "";
        double v = b;
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB"};
        int u = 0;
        while (Math.abs(v) >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return u == 0 ? b + " B" : String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }

    /** {@code CAUSAL_SELF} as {@code causal self}. */
    static String pattern(String p) {
        return p == null ? "" : p.toLowerCase(Locale.ROOT).replace('_', ' ');
    }
}
