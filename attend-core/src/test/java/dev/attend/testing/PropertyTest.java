package dev.attend.testing;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.opentest4j.TestAbortedException;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** The property harness itself: generation within ranges, tries, shrinking, failure messages and replay. */
class PropertyTest {
    /** Runs the dynamic tests in order; returns the first failure (later tries must then be skipped). */
    private static AssertionError runAll(Stream<DynamicTest> tests, int[] counts) {
        AssertionError failure = null;
        for (DynamicTest t : (Iterable<DynamicTest>) tests::iterator) {
            try {
                t.getExecutable().execute();
                counts[0]++;
            } catch (TestAbortedException skipped) {
                counts[1]++;
            } catch (AssertionError e) {
                if (failure != null) fail("a second try failed after the first: " + e.getMessage());
                failure = e;
                counts[2]++;
            } catch (Throwable t2) {
                fail("the harness let a non-assertion escape: " + t2);
            }
        }
        return failure;
    }

    private static String field(String message, String name) {
        Matcher m = Pattern.compile("  " + name + ": +(.*)").matcher(message);
        assertTrue(m.find(), "no '" + name + "' line in:\n" + message);
        return m.group(1);
    }

    @Test
    void aPassingPropertyRunsEveryTryWithValuesInRange() {
        List<Integer> xs = new ArrayList<>();
        List<Long> ys = new ArrayList<>();
        int[] counts = new int[3];
        AssertionError e = runAll(Property.named("in range").tries(500).seed(7).ints("x", 3, 7).longs("y", -5, 1L << 40)
                .check(p -> {
                    xs.add(p.i("x"));
                    ys.add(p.l("y"));
                }), counts);
        assertEquals(null, e);
        assertEquals(500, counts[0], "passed tries");
        assertTrue(xs.stream().allMatch(x -> x >= 3 && x <= 7), xs.toString());
        assertTrue(ys.stream().allMatch(y -> y >= -5 && y <= 1L << 40), ys.toString());
        for (int v = 3; v <= 7; v++) assertTrue(xs.contains(v), "every value of a small range appears: " + v);
        assertTrue(ys.contains(-5L) && ys.contains(1L << 40), "both ends of a range are drawn");
        assertTrue(ys.stream().anyMatch(y -> y > 1L << 30), "large values are drawn");
    }

    @Test
    void anIntShrinksToTheSmallestFailingValueAndTheMessageSaysSo() {
        int[] counts = new int[3];
        AssertionError e = runAll(Property.named("x below 50").tries(100).seed(42).ints("x", 0, 1000)
                .check(p -> assertTrue(p.i("x") < 50, "x=" + p.i("x"))), counts);
        assertNotNull(e, "x < 50 over [0, 1000] must fail");
        String m = e.getMessage();
        assertTrue(m.startsWith("property 'x below 50' failed on try "), m);
        assertEquals("x=50", field(m, "shrunk").replaceAll("  \\(.*", ""), m);
        int original = Integer.parseInt(field(m, "original").substring(2));
        assertTrue(original >= 50, m);
        assertTrue(field(m, "error").contains("x=50"), "the error is the shrunk case's: " + m);
        assertInstanceOf(AssertionError.class, e.getCause());
        assertEquals(1, counts[2]);
        assertEquals(100, counts[0] + counts[1] + counts[2], "every try is reported");
        assertTrue(counts[1] > 0 || counts[0] == 99, "tries after the failing one are skipped");

        // The printed seed replays the original case as try 1.
        long seed = Long.parseLong(field(m, "seed").split(" ")[0]);
        List<Integer> first = new ArrayList<>();
        runAll(Property.named("replay").tries(1).seed(seed).ints("x", 0, 1000).check(p -> first.add(p.i("x"))), new int[3]);
        assertEquals(List.of(original), first);
    }

    @Test
    void aFullRangeLongShrinksTowardsZero() {
        AssertionError e = runAll(Property.named("small magnitude").tries(50).seed(3).longs("v", Long.MIN_VALUE, Long.MAX_VALUE)
                .check(p -> assertTrue(Math.abs(p.l("v")) < 1000)), new int[3]);
        assertNotNull(e);
        String shrunk = field(e.getMessage(), "shrunk").replaceAll("  \\(.*", "");
        assertTrue(shrunk.equals("v=1000") || shrunk.equals("v=-1000"), e.getMessage());
    }

    @Test
    void twoParametersShrinkToAMinimalPair() {
        AssertionError e = runAll(Property.named("sum").tries(100).seed(5).ints("x", 0, 100).ints("y", 0, 100)
                .check(p -> assertTrue(p.i("x") + p.i("y") <= 100)), new int[3]);
        assertNotNull(e);
        Matcher m = Pattern.compile("x=(\\d+), y=(\\d+)").matcher(field(e.getMessage(), "shrunk"));
        assertTrue(m.find(), e.getMessage());
        assertEquals(101, Integer.parseInt(m.group(1)) + Integer.parseInt(m.group(2)), "no smaller pair fails: " + e.getMessage());
    }

    @Test
    void anyExceptionFailsAndShrinksAndAnAbortedAssumptionDoesNot() {
        AssertionError e = runAll(Property.named("throws").tries(100).seed(9).ints("n", 0, 10_000)
                .check(p -> {
                    org.junit.jupiter.api.Assumptions.assumeTrue(p.i("n") != 7000);
                    if (p.i("n") >= 300) throw new IllegalStateException("n too big: " + p.i("n"));
                }), new int[3]);
        assertNotNull(e);
        assertEquals("n=300", field(e.getMessage(), "shrunk").replaceAll("  \\(.*", ""), e.getMessage());
        assertInstanceOf(IllegalStateException.class, e.getCause());
        assertEquals("n too big: 300", e.getCause().getMessage());
    }

    @Test
    void doublesStayInRangeAndShrinkToASimplerFailingValue() {
        List<Double> ds = new ArrayList<>();
        runAll(Property.named("range").tries(300).seed(1).doubles("d", -2.5, 1e6).check(p -> ds.add(p.d("d"))), new int[3]);
        assertTrue(ds.stream().allMatch(d -> d >= -2.5 && d <= 1e6), ds.toString());
        assertTrue(ds.contains(0.0) && ds.contains(-2.5) && ds.contains(1e6), "edges are drawn");

        AssertionError e = runAll(Property.named("half").tries(100).seed(2).doubles("d", 0, 1)
                .check(p -> assertTrue(p.d("d") <= 0.3)), new int[3]);
        assertNotNull(e);
        double shrunk = Double.parseDouble(field(e.getMessage(), "shrunk").replaceAll("  \\(.*", "").substring(2));
        assertTrue(shrunk > 0.3 && shrunk <= 1, e.getMessage());
        long mantissa = Double.doubleToRawLongBits(shrunk) & ((1L << 52) - 1);
        assertTrue(Long.numberOfTrailingZeros(mantissa) >= 52 - 8 || mantissa == 0, "at most 9 significant bits: " + shrunk);
    }

    @Test
    void floatsCoverEveryKindOfFloat() {
        Gen<Float> g = Gen.floats(65504f);
        Random r = new Random(11);
        boolean nan = false, inf = false, subnormal = false, big = false, negative = false, zero = false;
        for (int i = 0; i < 4000; i++) {
            float f = g.generate(r);
            nan |= Float.isNaN(f);
            inf |= Float.isInfinite(f);
            subnormal |= f != 0 && Math.abs(f) < Float.MIN_NORMAL;
            big |= Math.abs(f) > 1e30f && Float.isFinite(f);
            negative |= f < 0;
            zero |= f == 0;
        }
        assertTrue(nan && inf && subnormal && big && negative && zero,
                "nan " + nan + ", inf " + inf + ", subnormal " + subnormal + ", big " + big + ", negative " + negative + ", zero " + zero);
        List<Float> c = g.shrink(-3.25f);
        assertEquals(List.of(0f, 3.25f, -3f), c.subList(0, 3), "zero, the sign, an integer first: " + c);
        assertTrue(c.stream().allMatch(f -> Math.abs(f) <= 3.25f), "candidates are never larger: " + c);
    }
}
