#include "shortener/rfc3339.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <string_view>

namespace waypost::shortener {
namespace {

using namespace std::chrono_literals;

Timestamp utc(std::chrono::year_month_day date, std::chrono::microseconds time_of_day = {}) {
  return std::chrono::sys_days(date) + time_of_day;
}

constexpr std::chrono::year_month_day kNewYear2030 =
    std::chrono::year(2030) / std::chrono::January / 1;

// What parse_rfc3339 made of `text`, written back, or "<refused>", so failures show both.
std::string reparsed(std::string_view text) {
  const auto instant = parse_rfc3339(text);
  return instant ? format_rfc3339(*instant) : "<refused>";
}

TEST(Rfc3339, AppliesPositiveOffsetToReachUtc) {
  EXPECT_EQ(parse_rfc3339("2030-01-01T10:00:00+03:00"), parse_rfc3339("2030-01-01T07:00:00Z"));
  EXPECT_EQ(parse_rfc3339("2030-01-01T10:00:00+03:00"), utc(kNewYear2030, 7h));
  EXPECT_EQ(parse_rfc3339("2030-01-01T12:45:00+05:45"), utc(kNewYear2030, 7h));
}

TEST(Rfc3339, AppliesNegativeOffsetCrossingIntoTheNextDay) {
  EXPECT_EQ(parse_rfc3339("2029-12-31T22:30:00-08:30"), utc(kNewYear2030, 7h));
  EXPECT_EQ(reparsed("2024-02-28T20:00:00-05:00"), "2024-02-29T01:00:00Z");
}

TEST(Rfc3339, AppliesPositiveOffsetCrossingIntoThePreviousDay) {
  EXPECT_EQ(reparsed("2030-01-01T01:00:00+02:00"), "2029-12-31T23:00:00Z");
}

TEST(Rfc3339, ReadsNegativeZeroOffsetAsUtc) {
  EXPECT_EQ(parse_rfc3339("2030-01-01T07:00:00-00:00"), utc(kNewYear2030, 7h));
  EXPECT_EQ(parse_rfc3339("2030-01-01T07:00:00+00:00"), utc(kNewYear2030, 7h));
}

TEST(Rfc3339, AcceptsLowerCaseSeparatorAndZone) {
  EXPECT_EQ(parse_rfc3339("2030-01-01t07:00:00z"), utc(kNewYear2030, 7h));
  EXPECT_EQ(parse_rfc3339("2030-01-01t07:00:00Z"), utc(kNewYear2030, 7h));
  EXPECT_EQ(parse_rfc3339("2030-01-01T07:00:00z"), utc(kNewYear2030, 7h));
}

TEST(Rfc3339, ReadsFractionalSecondsOfAnyLength) {
  EXPECT_EQ(parse_rfc3339("2030-01-01T07:00:00.5Z"), utc(kNewYear2030, 7h + 500ms));
  EXPECT_EQ(parse_rfc3339("2030-01-01T07:00:00.000001Z"), utc(kNewYear2030, 7h + 1us));
  EXPECT_EQ(parse_rfc3339("2030-01-01T07:00:00.123456Z"), utc(kNewYear2030, 7h + 123456us));
  EXPECT_EQ(parse_rfc3339("2030-01-01T07:00:00.000000000Z"), utc(kNewYear2030, 7h));
}

TEST(Rfc3339, TruncatesFractionBeyondMicroseconds) {
  EXPECT_EQ(parse_rfc3339("2030-01-01T07:00:00.1234569999Z"), utc(kNewYear2030, 7h + 123456us));
  EXPECT_EQ(parse_rfc3339("2030-01-01T07:00:00.0000009Z"), utc(kNewYear2030, 7h));
}

TEST(Rfc3339, AppliesOffsetToFractionalTimes) {
  EXPECT_EQ(parse_rfc3339("2030-01-01T10:00:00.25+03:00"), utc(kNewYear2030, 7h + 250ms));
}

TEST(Rfc3339, ValidatesTheCalendar) {
  EXPECT_EQ(reparsed("2023-02-29T00:00:00Z"), "<refused>");
  EXPECT_EQ(reparsed("2024-02-29T00:00:00Z"), "2024-02-29T00:00:00Z");
  EXPECT_EQ(reparsed("2000-02-29T00:00:00Z"), "2000-02-29T00:00:00Z");
  EXPECT_EQ(reparsed("1900-02-29T00:00:00Z"), "<refused>");
  EXPECT_EQ(reparsed("2030-04-31T00:00:00Z"), "<refused>");
  EXPECT_EQ(reparsed("2030-12-31T00:00:00Z"), "2030-12-31T00:00:00Z");
  EXPECT_EQ(reparsed("2030-12-32T00:00:00Z"), "<refused>");
  EXPECT_EQ(reparsed("2030-13-01T00:00:00Z"), "<refused>");
  EXPECT_EQ(reparsed("2030-00-01T00:00:00Z"), "<refused>");
  EXPECT_EQ(reparsed("2030-01-00T00:00:00Z"), "<refused>");
}

TEST(Rfc3339, RefusesOutOfRangeClockFields) {
  EXPECT_EQ(reparsed("2030-01-01T24:00:00Z"), "<refused>");
  EXPECT_EQ(reparsed("2030-01-01T23:60:00Z"), "<refused>");
  EXPECT_EQ(reparsed("2030-01-01T23:59:61Z"), "<refused>");
  EXPECT_EQ(reparsed("2030-01-01T23:59:59Z"), "2030-01-01T23:59:59Z");
}

TEST(Rfc3339, RefusesOutOfRangeOffsets) {
  EXPECT_EQ(reparsed("2030-01-01T10:00:00+24:00"), "<refused>");
  EXPECT_EQ(reparsed("2030-01-01T10:00:00-24:00"), "<refused>");
  EXPECT_EQ(reparsed("2030-01-01T10:00:00+03:60"), "<refused>");
  EXPECT_EQ(reparsed("2030-01-01T10:00:00+23:59"), "2029-12-31T10:01:00Z");
}

TEST(Rfc3339, RefusesMissingParts) {
  for (const std::string_view text :
       {"2030-01-01T10:00:00", "2030-01-01T10:00Z", "2030-01-01", "2030-01-01TZ",
        "2030-01-01T10:00:00.Z", "2030-01-01T10:00:00+03", "2030-01-01T10:00:00+0300",
        "2030-01-01T10:00:00+3:00", "", "T10:00:00Z"}) {
    EXPECT_EQ(reparsed(text), "<refused>") << text;
  }
}

TEST(Rfc3339, RefusesOtherSpellings) {
  for (const std::string_view text :
       {"2030-01-01 10:00:00Z", "2030-01-01_10:00:00Z", "20300101T100000Z", "2030-1-01T10:00:00Z",
        "2030-01-01T1:00:00Z", "30-01-01T10:00:00Z", "+2030-01-01T10:00:00Z",
        "2030-01-01T10:00:00,5Z", "2030-01-01T10:00:00 Z", "2030-01-01T10:00:00UTC",
        "2030-01-01T10:00:00GMT", "２０３０-01-01T10:00:00Z"}) {
    EXPECT_EQ(reparsed(text), "<refused>") << text;
  }
}

TEST(Rfc3339, RefusesTrailingOrLeadingGarbage) {
  for (const std::string_view text :
       {"2030-01-01T10:00:00Zjunk", "2030-01-01T10:00:00Z ", " 2030-01-01T10:00:00Z",
        "2030-01-01T10:00:00+03:00:00", "2030-01-01T10:00:00ZZ", "2030-01-01T10:00:00Z\n"}) {
    EXPECT_EQ(reparsed(text), "<refused>") << text;
  }
  EXPECT_EQ(reparsed(std::string_view("2030-01-01T10:00:00Z\0", 21)), "<refused>");
}

TEST(Rfc3339, FoldsLeapSecondIntoTheLastMicrosecondOfTheMinute) {
  const auto last_microsecond = utc(std::chrono::year(2016) / 12 / 31, 24h - 1us);
  EXPECT_EQ(parse_rfc3339("2016-12-31T23:59:60Z"), last_microsecond);
  EXPECT_EQ(parse_rfc3339("2016-12-31T23:59:60.5Z"), last_microsecond);
  EXPECT_EQ(parse_rfc3339("2016-12-31T18:59:60-05:00"), last_microsecond);
  EXPECT_EQ(reparsed("2015-06-30T23:59:60Z"), "2015-06-30T23:59:59.999999Z");
}

TEST(Rfc3339, RefusesLeapSecondWhereNoneCanOccur) {
  EXPECT_EQ(reparsed("2016-12-30T23:59:60Z"), "<refused>");
  EXPECT_EQ(reparsed("2016-12-31T23:58:60Z"), "<refused>");
  EXPECT_EQ(reparsed("2016-12-31T22:59:60Z"), "<refused>");
  EXPECT_EQ(reparsed("2016-12-31T23:59:60+01:00"), "<refused>");
}

TEST(Rfc3339, FormatsInUtcWithoutNeedlessFractionDigits) {
  EXPECT_EQ(format_rfc3339(utc(kNewYear2030, 7h)), "2030-01-01T07:00:00Z");
  EXPECT_EQ(format_rfc3339(utc(kNewYear2030, 7h + 500ms)), "2030-01-01T07:00:00.5Z");
  EXPECT_EQ(format_rfc3339(utc(kNewYear2030, 7h + 120ms)), "2030-01-01T07:00:00.12Z");
  EXPECT_EQ(format_rfc3339(utc(kNewYear2030, 7h + 1us)), "2030-01-01T07:00:00.000001Z");
  EXPECT_EQ(format_rfc3339(utc(kNewYear2030, 23h + 59min + 59s + 999999us)),
            "2030-01-01T23:59:59.999999Z");
}

TEST(Rfc3339, FormatsInstantsBeforeTheUnixEpoch) {
  EXPECT_EQ(format_rfc3339(Timestamp(-1us)), "1969-12-31T23:59:59.999999Z");
  EXPECT_EQ(format_rfc3339(utc(std::chrono::year(1) / 1 / 1)), "0001-01-01T00:00:00Z");
  EXPECT_EQ(format_rfc3339(utc(std::chrono::year(0) / 1 / 1)), "0000-01-01T00:00:00Z");
}

TEST(Rfc3339, FormatsYearsRfc3339CannotHoldWithASignOrExtraDigits) {
  EXPECT_EQ(format_rfc3339(utc(std::chrono::year(-1) / 1 / 1)), "-0001-01-01T00:00:00Z");
  EXPECT_EQ(format_rfc3339(utc(std::chrono::year(10000) / 1 / 1)), "10000-01-01T00:00:00Z");
}

TEST(Rfc3339, FormattingWhatWasParsedGivesTheUtcSpelling) {
  EXPECT_EQ(reparsed("2030-01-01T10:00:00+03:00"), "2030-01-01T07:00:00Z");
  EXPECT_EQ(reparsed("2030-01-01t07:00:00.500z"), "2030-01-01T07:00:00.5Z");
  EXPECT_EQ(reparsed("1970-01-01T00:00:00Z"), "1970-01-01T00:00:00Z");
  EXPECT_EQ(reparsed("0000-01-01T00:00:00Z"), "0000-01-01T00:00:00Z");
  EXPECT_EQ(reparsed("9999-12-31T23:59:59.999999Z"), "9999-12-31T23:59:59.999999Z");
}

TEST(Rfc3339, ParsingWhatWasFormattedGivesTheSameInstant) {
  for (const Timestamp instant :
       {utc(kNewYear2030), utc(kNewYear2030, 7h + 1us), Timestamp(-1us), Timestamp(0us),
        utc(std::chrono::year(2024) / 2 / 29, 12h + 34min + 56s + 789012us),
        utc(std::chrono::year(9999) / 12 / 31, 24h - 1us), utc(std::chrono::year(0) / 1 / 1)}) {
    const std::string text = format_rfc3339(instant);
    EXPECT_EQ(parse_rfc3339(text), instant) << text;
  }
}

}  // namespace
}  // namespace waypost::shortener
