package dev.attend.attention.mask;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One entry of the mask registry: the spec name, its parameters, the Java call that makes it, when a
 * (query, key) pair is visible, whether it takes any lengths or only self attention ({@code lq == lk}),
 * and the factory that builds it from parsed arguments. {@link MaskRegistry} lists them; {@link Mask#parse},
 * the CLI's help and listings and the README's table all come from there.
 */
public record MaskType(String name, List<MaskParam> params, String javaCall, String visibleWhen, boolean anyLengths,
                       Factory factory) {

    /** Builds the mask from arguments already checked against {@link #params()}. */
    @FunctionalInterface
    public interface Factory {
        Mask create(Args args);
    }

    public MaskType {
        if (name == null || !name.matches("[a-z][a-z0-9]*(-[a-z0-9]+)*")) {
            throw new IllegalArgumentException("mask type name: expected lower-case words joined by '-', got '" + name + "'");
        }
        params = List.copyOf(params);
        Objects.requireNonNull(javaCall, "javaCall");
        Objects.requireNonNull(visibleWhen, "visibleWhen");
        Objects.requireNonNull(factory, "factory");
    }

    /** The spec syntax, e.g. {@code sliding:W} or {@code block-causal-document:B;L1,L2,..}. */
    public String syntax() {
        if (params.isEmpty()) return name;
        StringBuilder sb = new StringBuilder(name).append(':');
        for (List<MaskParam> g : groups()) {
            if (sb.charAt(sb.length() - 1) != ':') sb.append(';');
            sb.append(String.join(",", g.stream().map(MaskParam::token).toList()));
        }
        return sb.toString();
    }

    /** Consecutive scalars form one group; each list is a group of its own. */
    List<List<MaskParam>> groups() {
        List<List<MaskParam>> out = new ArrayList<>();
        List<MaskParam> scalars = new ArrayList<>();
        for (MaskParam p : params) {
            if (p.kind().isList()) {
                if (!scalars.isEmpty()) out.add(scalars);
                scalars = new ArrayList<>();
                out.add(List.of(p));
            } else {
                scalars.add(p);
            }
        }
        if (!scalars.isEmpty()) out.add(scalars);
        return out;
    }

    /** Parsed arguments by position, typed as the parameter kinds say. */
    public static final class Args {
        private final Object[] values;

        Args(Object[] values) {
            this.values = values;
        }

        public int intAt(int i) { return (Integer) values[i]; }
        public long longAt(int i) { return (Long) values[i]; }
        public double doubleAt(int i) { return (Double) values[i]; }
        public int[] intsAt(int i) { return ((int[]) values[i]).clone(); }
        public boolean[][] rowsAt(int i) {
            boolean[][] r = (boolean[][]) values[i];
            boolean[][] c = new boolean[r.length][];
            for (int j = 0; j < r.length; j++) c[j] = r[j].clone();
            return c;
        }
    }
}
