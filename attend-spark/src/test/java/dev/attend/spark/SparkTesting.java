package dev.attend.spark;

import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;

/** Spark sessions for the tests: quiet, no UI, executors started with the Vector API module. */
final class SparkTesting {
    private SparkTesting() {}

    static SparkSession session(String master) {
        SparkConf conf = new SparkConf().setMaster(master).setAppName("attend-spark-test")
                .set("spark.ui.enabled", "false")
                .set("spark.ui.showConsoleProgress", "false")
                .set("spark.executor.extraJavaOptions", "--add-modules=jdk.incubator.vector")
                .set("spark.driver.host", "127.0.0.1")
                .set("spark.driver.bindAddress", "127.0.0.1");
        return SparkSession.builder().config(conf).getOrCreate();
    }
}
