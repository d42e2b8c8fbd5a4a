package dev.attend.nn.tasks;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class TasksTest {
    @Test
    void specsGiveTheTasksWithDefaults() {
        assertEquals(new Mqar(8192, 256, 16, 0.01, 0), Tasks.parse("mqar"));
        assertEquals(new Mqar(1024, 128, 8, 0.01, 5), Tasks.parse("mqar:vocab=1024,seq=128,pairs=8,seed=5"));
        Niah n = (Niah) Tasks.parse("niah:seq=256,keys=4,depths=0/50/100");
        assertEquals(256, n.seqLength());
        assertEquals(4, n.keys());
        assertArrayEquals(new int[] {0, 50, 100}, n.depths());
        assertArrayEquals(Niah.RULER_DEPTHS, ((Niah) Tasks.parse("niah")).depths());
        assertEquals(new VariableTracking(1024, 512, 1, 4, 0), Tasks.parse("vt"));
        assertEquals(new CommonWords(1024, 512, 10, 6, 1, 0), Tasks.parse("cwe"));
    }

    @Test
    void badSpecsNameWhatIsWrong() {
        assertEquals("task: expected one of mqar, niah, vt, cwe, text, got 'mqr'",
                assertThrows(IllegalArgumentException.class, () -> Tasks.parse("mqr")).getMessage());
        assertEquals("task mqar: unknown key 'pair', expected one of vocab, seq, pairs, power, seed",
                assertThrows(IllegalArgumentException.class, () -> Tasks.parse("mqar:pair=3")).getMessage());
        assertEquals("task mqar: seq: expected an integer, got 'x'",
                assertThrows(IllegalArgumentException.class, () -> Tasks.parse("mqar:seq=x")).getMessage());
        assertEquals("task niah: depths: expected percentages joined by '/', got '0;5'",
                assertThrows(IllegalArgumentException.class, () -> Tasks.parse("niah:depths=0;5")).getMessage());
        assertThrows(IllegalArgumentException.class, () -> Tasks.parse("mqar:seq=1,seq=2"));
        assertThrows(IllegalArgumentException.class, () -> Tasks.parse(""));
    }
}
