package dev.attend.cli.bench.report;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

/** The Pareto chart's labels: a label never covers another; where no place is free it is left off and counted. */
class LabelPlacerTest {

    @Test
    void labelsOfPointsAtOnePlaceGoAroundItThenAreLeftOff() {
        ReportCharts.LabelPlacer placer = new ReportCharts.LabelPlacer(0.1, 100, 1e-6, 1e2);
        placer.obstacle(1, 1e-3, 10, 10);
        double[][] at = new double[5][];
        for (int i = 0; i < 5; i++) at[i] = placer.place("window=" + i, 1, 1e-3);
        for (int i = 0; i < 4; i++) assertNotNull(at[i], "above, below, right and left of the point are free");
        for (int i = 0; i < 4; i++) for (int j = i + 1; j < 4; j++) assertNotEquals(at[i][0] + "," + at[i][1], at[j][0] + "," + at[j][1]);
        assertNull(at[4], "every place around the point is taken");
        assertEquals(1, placer.dropped);
        assertNotNull(placer.place("window=9", 30, 1e-5), "a point elsewhere still gets its label");
    }

    @Test
    void aLabelThatWouldLeaveThePlotOrCoverALineGoesElsewhere() {
        ReportCharts.LabelPlacer placer = new ReportCharts.LabelPlacer(1, 10, 1e-6, 1);
        placer.obstacle(Math.sqrt(10), 1e-3, 2 * ReportCharts.LabelPlacer.PLOT_WIDTH, 4);
        double[] top = placer.place("block=64", 3, 1);  // above the top edge: not there
        assertNotNull(top);
        assertEquals(true, top[1] < 1, "drawn below the point at the top of the plot, at y " + top[1]);
    }
}
