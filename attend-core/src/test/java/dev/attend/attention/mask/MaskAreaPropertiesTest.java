package dev.attend.attention.mask;

import dev.attend.testing.Property;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Exact mask areas obey inclusion-exclusion, and block masks agree with them, for random masks and lengths. */
class MaskAreaPropertiesTest {
    @TestFactory
    Stream<DynamicTest> areaOfUnionAndIntersectionIsInclusionExclusion() {
        return Property.named("mask area of union and intersection is inclusion-exclusion").tries(200)
                .ints("l", 1, 200)
                .ints("w", 1, 200)
                .ints("prefix", 0, 200)
                .ints("block", 1, 64)
                .check(p -> check(p.i("l"), p.i("w"), p.i("prefix"), p.i("block")));
    }

    private static void check(int l, int w, int prefix, int block) {
        Mask a = Masks.slidingWindow(w);
        Mask b = Masks.prefixLm(Math.min(prefix, l));
        long union = a.or(b).area(1, 1, l, l), inter = a.and(b).area(1, 1, l, l);
        assertEquals(a.area(1, 1, l, l) + b.area(1, 1, l, l), union + inter);
        assertEquals(union, a.or(b).compile(1, 1, l, l, block, block).area());
        assertEquals(inter, a.and(b).compile(1, 1, l, l, block, block).area());
    }
}
