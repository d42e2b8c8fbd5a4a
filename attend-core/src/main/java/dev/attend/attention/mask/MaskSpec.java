package dev.attend.attention.mask;

import java.util.List;

/**
 * Parser for CLI mask specs. Grammar ({@code &} binds tighter than {@code |}, whitespace ignored):
 * <pre>
 *   expr  := term ('|' term)*
 *   term  := atom ('&amp;' atom)*
 *   atom  := '(' expr ')' | name [':' args]
 *   full | causal | causal-br
 *   sliding:W | sliding-bi:W | global-sliding:G,W | sinks:S,W | prefix-lm:P
 *   document:L1,L2,.. | document-causal:L1,.. | share-question:L1,.. | causal-blockwise:L1,..
 *   block-causal-document:B;L1,L2,.. | prefix-lm-document:P1,P2,..;L1,L2,..
 *   block-sparse-random:BQ,BK,DENSITY,SEED
 * </pre>
 * Every error is an IllegalArgumentException with one line naming the spec, what was expected and
 * what was found.
 */
final class MaskSpec {

    static final List<String> NAMES = List.of("full", "causal", "causal-br", "sliding", "sliding-bi", "global-sliding",
            "document", "document-causal", "share-question", "causal-blockwise", "prefix-lm", "prefix-lm-document",
            "block-causal-document", "sinks", "block-sparse-random");

    private final String spec;
    private final String s;
    private int pos;

    private MaskSpec(String spec) {
        this.spec = spec;
        this.s = spec.replaceAll("\\s+", "");
    }

    static Mask parse(String spec) {
        if (spec == null || spec.isBlank()) {
            throw new IllegalArgumentException("mask spec must be non-empty, got " + (spec == null ? "null" : "'" + spec + "'"));
        }
        MaskSpec p = new MaskSpec(spec);
        Mask m = p.expr();
        if (p.pos != p.s.length()) {
            throw p.error("expected '&', '|' or end of spec at position " + p.pos + ", got '" + p.s.substring(p.pos) + "'");
        }
        return m;
    }

    private Mask expr() {
        Mask m = term();
        while (peek('|')) {
            pos++;
            m = m.or(term());
        }
        return m;
    }

    private Mask term() {
        Mask m = atom();
        while (peek('&')) {
            pos++;
            m = m.and(atom());
        }
        return m;
    }

    private Mask atom() {
        if (peek('(')) {
            pos++;
            Mask m = expr();
            if (!peek(')')) {
                throw error("expected ')' at position " + pos + ", got " + (pos < s.length() ? "'" + s.charAt(pos) + "'" : "end of spec"));
            }
            pos++;
            return m;
        }
        int start = pos;
        while (pos < s.length() && "&|()".indexOf(s.charAt(pos)) < 0) {
            pos++;
        }
        String part = s.substring(start, pos);
        if (part.isEmpty()) {
            throw error("expected a mask name (one of " + String.join(", ", NAMES) + ") at position " + start + ", got "
                    + (pos < s.length() ? "'" + s.charAt(pos) + "'" : "end of spec"));
        }
        int colon = part.indexOf(':');
        String name = colon < 0 ? part : part.substring(0, colon);
        String args = colon < 0 ? null : part.substring(colon + 1);
        try {
            return build(name, args);
        } catch (IllegalArgumentException e) {
            if (e.getMessage() != null && e.getMessage().startsWith("mask spec '")) {
                throw e;
            }
            throw error(e.getMessage());
        }
    }

    private Mask build(String name, String args) {
        switch (name) {
            case "full", "causal", "causal-br" -> {
                if (args != null) {
                    throw error("'" + name + "' takes no arguments, got '" + args + "'");
                }
                return switch (name) {
                    case "full" -> Masks.full();
                    case "causal" -> Masks.causal();
                    default -> Masks.causalBottomRight();
                };
            }
            case "sliding" -> {
                return Masks.slidingWindow(ints(name, args, "W", 1, "window")[0]);
            }
            case "sliding-bi" -> {
                return Masks.slidingWindowBidirectional(ints(name, args, "W", 1, "window")[0]);
            }
            case "global-sliding" -> {
                int[] a = ints(name, args, "G,W", 2, "global count", "window");
                return Masks.globalSliding(a[0], a[1]);
            }
            case "sinks" -> {
                int[] a = ints(name, args, "S,W", 2, "sink count", "window");
                return Masks.sinksWindow(a[0], a[1]);
            }
            case "prefix-lm" -> {
                return Masks.prefixLm(ints(name, args, "P", 1, "prefix length")[0]);
            }
            case "document" -> {
                return Masks.documents(ints(name, args, "L1,L2,..", -1, "document length"));
            }
            case "document-causal" -> {
                return Masks.documentsCausal(ints(name, args, "L1,L2,..", -1, "document length"));
            }
            case "share-question" -> {
                return Masks.shareQuestion(ints(name, args, "L1,L2,..", -1, "document length"));
            }
            case "causal-blockwise" -> {
                return Masks.causalBlockwise(ints(name, args, "L1,L2,..", -1, "document length"));
            }
            case "block-causal-document" -> {
                String[] two = split2(name, args, "B;L1,L2,..");
                return Masks.blockCausalDocument(ints(name, two[0], "B;L1,L2,..", 1, "block")[0],
                        ints(name, two[1], "B;L1,L2,..", -1, "document length"));
            }
            case "prefix-lm-document" -> {
                String[] two = split2(name, args, "P1,P2,..;L1,L2,..");
                return Masks.prefixLmDocuments(ints(name, two[0], "P1,P2,..;L1,L2,..", -1, "prefix length"),
                        ints(name, two[1], "P1,P2,..;L1,L2,..", -1, "document length"));
            }
            case "block-sparse-random" -> {
                String form = "BQ,BK,DENSITY,SEED";
                String[] f = fields(name, args, form, 4);
                int bq = toInt(f[0], "blockQ"), bk = toInt(f[1], "blockK");
                double density;
                try {
                    density = Double.parseDouble(f[2]);
                } catch (NumberFormatException e) {
                    throw error("density must be a number in [0, 1], got '" + f[2] + "'");
                }
                long seed;
                try {
                    seed = Long.parseLong(f[3]);
                } catch (NumberFormatException e) {
                    throw error("seed must be an integer, got '" + f[3] + "'");
                }
                return Masks.blockSparseRandom(bq, bk, density, seed);
            }
            default -> throw error("unknown mask '" + name + "', expected one of " + String.join(", ", NAMES));
        }
    }

    private String[] split2(String name, String args, String form) {
        if (args == null || args.isEmpty()) {
            throw error("'" + name + "' needs arguments " + name + ":" + form + ", got none");
        }
        String[] two = args.split(";", -1);
        if (two.length != 2) {
            throw error("expected " + name + ":" + form + " (one ';'), got '" + args + "'");
        }
        return two;
    }

    private String[] fields(String name, String args, String form, int count) {
        if (args == null || args.isEmpty()) {
            throw error("'" + name + "' needs arguments " + name + ":" + form + ", got none");
        }
        String[] f = args.split(",", -1);
        if (count > 0 && f.length != count) {
            throw error("expected " + name + ":" + form + " (" + count + " value" + (count > 1 ? "s" : "") + "), got '" + args + "'");
        }
        return f;
    }

    /** count = -1: any number >= 1 of comma-separated values. */
    private int[] ints(String name, String args, String form, int count, String... what) {
        String[] f = fields(name, args, form, count);
        int[] v = new int[f.length];
        for (int i = 0; i < f.length; i++) {
            v[i] = toInt(f[i], what[Math.min(i, what.length - 1)]);
        }
        return v;
    }

    private int toInt(String field, String what) {
        try {
            return Integer.parseInt(field);
        } catch (NumberFormatException e) {
            boolean mayBeZero = what.startsWith("prefix") || what.startsWith("sink") || what.startsWith("global");
            throw error(what + " must be a " + (mayBeZero ? "non-negative" : "positive") + " integer, got '" + field + "'");
        }
    }

    private boolean peek(char c) {
        return pos < s.length() && s.charAt(pos) == c;
    }

    private IllegalArgumentException error(String what) {
        return new IllegalArgumentException("mask spec '" + spec + "': " + what);
    }
}
