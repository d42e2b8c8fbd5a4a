package dev.attend.nn.tasks;

/**
 * Which stream of examples: training or test. The two draw from different seeds (see {@link Task}), so a test
 * example is never a training example by construction, only by chance (and the tests check that it does not
 * happen at the sizes used).
 */
public enum Split {
    TRAIN(0x5452_4149_4E00_0001L),
    TEST(0x5445_5354_0000_0002L);

    final long salt;

    Split(long salt) {
        this.salt = salt;
    }
}
