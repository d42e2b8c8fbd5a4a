package dev.attend.attention.mask;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Exact mask areas obey inclusion-exclusion, and block masks agree with them, for random masks and lengths. */
class MaskAreaPropertiesTest {
    @Property(tries = 200)
    void areaOfUnionAndIntersectionIsInclusionExclusion(@ForAll @IntRange(min = 1, max = 200) int l,
                                                        @ForAll @IntRange(min = 1, max = 200) int w,
                                                        @ForAll @IntRange(min = 0, max = 200) int prefix,
                                                        @ForAll @IntRange(min = 1, max = 64) int block) {
        Mask a = Masks.slidingWindow(w);
        Mask b = Masks.prefixLm(Math.min(prefix, l));
        long union = a.or(b).area(1, 1, l, l), inter = a.and(b).area(1, 1, l, l);
        assertEquals(a.area(1, 1, l, l) + b.area(1, 1, l, l), union + inter);
        assertEquals(union, a.or(b).compile(1, 1, l, l, block, block).area());
        assertEquals(inter, a.and(b).compile(1, 1, l, l, block, block).area());
    }
}
