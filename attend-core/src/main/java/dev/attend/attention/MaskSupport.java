package dev.attend.attention;

import dev.attend.attention.mask.Mask;

import java.util.List;
import java.util.Objects;

/**
 * Which masks a mechanism accepts: {@link Kind#ANY} (any predicate, slice mask or combination),
 * {@link Kind#SLICE} (slice-form masks only: analytic structure, no predicates), or
 * {@link Kind#LISTED} (only the library masks named, by their registry names, e.g. {@code full, causal}).
 */
public record MaskSupport(Kind kind, List<String> names) {
    public enum Kind { ANY, SLICE, LISTED }

    public static final MaskSupport ANY = new MaskSupport(Kind.ANY, List.of());
    public static final MaskSupport SLICE = new MaskSupport(Kind.SLICE, List.of());

    public MaskSupport {
        Objects.requireNonNull(kind, "kind");
        names = names == null ? List.of() : List.copyOf(names);
        if (kind == Kind.LISTED && names.isEmpty()) throw new IllegalArgumentException("masks: a listed support needs at least one name");
    }

    /** Only these library masks (registry names such as {@code "full"}, {@code "causal-br"}, {@code "sliding"}). */
    public static MaskSupport listed(String... names) {
        return new MaskSupport(Kind.LISTED, List.of(names));
    }

    /** Whether {@code mask} is accepted. */
    public boolean accepts(Mask mask) {
        return refusal(mask) == null;
    }

    /** Null when {@code mask} is accepted, else why not. */
    String refusal(Mask mask) {
        return switch (kind) {
            case ANY -> null;
            case SLICE -> mask.isSliceForm() ? null : "masks: expected a slice-form mask (library masks and their & / |), got the predicate mask '" + mask.describe() + "'";
            case LISTED -> mask.kind().filter(names::contains).isPresent() ? null
                    : "masks: expected one of " + String.join(", ", names) + ", got '" + mask.describe() + "'";
        };
    }

    /** {@code "any"}, {@code "slice masks"} or the listed names. */
    public String describe() {
        return switch (kind) {
            case ANY -> "any";
            case SLICE -> "slice masks";
            case LISTED -> String.join(", ", names);
        };
    }
}
