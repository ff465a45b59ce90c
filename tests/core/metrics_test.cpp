#include "core/metrics.hpp"

#include <gtest/gtest.h>

namespace waypost::core {
namespace {

TEST(MetricsRegistry, RendersCountersAndGaugesInPrometheusTextFormat) {
  MetricsRegistry registry;
  registry.counter("jobs_total", "Jobs done.", "kind=\"a\"").increment(3);
  registry.gauge("queue_depth", "Jobs waiting.").set(7);
  registry.gauge_callback("answer", "Computed when read.", [] { return 42.0; });

  auto text = registry.render();
  EXPECT_NE(text.find("# HELP jobs_total Jobs done.\n# TYPE jobs_total counter\n"),
            std::string::npos);
  EXPECT_NE(text.find("jobs_total{kind=\"a\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("# TYPE queue_depth gauge\nqueue_depth 7\n"), std::string::npos);
  EXPECT_NE(text.find("answer 42\n"), std::string::npos);
}

TEST(MetricsRegistry, SameNameAndLabelsGiveTheSameCounter) {
  MetricsRegistry registry;
  auto& first = registry.counter("hits_total", "Hits.", "route=\"x\"");
  auto& again = registry.counter("hits_total", "Hits.", "route=\"x\"");
  auto& other = registry.counter("hits_total", "Hits.", "route=\"y\"");
  EXPECT_EQ(&first, &again);
  EXPECT_NE(&first, &other);
}

TEST(Histogram, BucketsAreCumulativeAndCountEveryObservation) {
  MetricsRegistry registry;
  auto& histogram = registry.histogram("latency_seconds", "Latency.", "", {0.1, 1.0});
  histogram.observe(0.05);
  histogram.observe(0.5);
  histogram.observe(5.0);

  auto text = registry.render();
  EXPECT_NE(text.find("latency_seconds_bucket{le=\"0.1\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("latency_seconds_bucket{le=\"1\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("latency_seconds_bucket{le=\"+Inf\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("latency_seconds_count 3\n"), std::string::npos);
  EXPECT_NE(text.find("latency_seconds_sum 5.55\n"), std::string::npos);
}

}  // namespace
}  // namespace waypost::core
