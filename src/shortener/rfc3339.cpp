#include "shortener/rfc3339.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>

namespace waypost::shortener {
namespace {

using std::chrono::days;
using std::chrono::hours;
using std::chrono::microseconds;
using std::chrono::minutes;
using std::chrono::seconds;
using std::chrono::sys_days;
using std::chrono::year_month_day;

// Consumes fixed-width fields from the front of the text, left to right.
class Reader {
 public:
  explicit Reader(std::string_view text) : rest_(text) {}

  // Exactly `width` decimal digits as a number, or nullopt (and nothing consumed).
  std::optional<int> number(std::size_t width) {
    if (rest_.size() < width) {
      return std::nullopt;
    }
    int value = 0;
    for (std::size_t i = 0; i < width; ++i) {
      if (!is_digit(rest_[i])) {
        return std::nullopt;
      }
      value = value * 10 + (rest_[i] - '0');
    }
    rest_.remove_prefix(width);
    return value;
  }

  // A number of `width` digits that must not exceed `max`.
  std::optional<int> number_at_most(std::size_t width, int max) {
    const auto value = number(width);
    return value && *value <= max ? value : std::nullopt;
  }

  // The longest run of digits, possibly empty.
  std::string_view digits() {
    const std::size_t length = std::min(rest_.find_first_not_of("0123456789"), rest_.size());
    const std::string_view run = rest_.substr(0, length);
    rest_.remove_prefix(length);
    return run;
  }

  // Consumes `c` if it comes next.
  bool skip(char c) {
    if (rest_.empty() || rest_.front() != c) {
      return false;
    }
    rest_.remove_prefix(1);
    return true;
  }

  bool at_end() const { return rest_.empty(); }

 private:
  static bool is_digit(char c) { return c >= '0' && c <= '9'; }

  std::string_view rest_;
};

// A wall-clock time as written, before any offset is applied.
struct ClockTime {
  hours hour;
  minutes minute;
  int second;  // 0 to 60
  microseconds fraction;
};

// "YYYY-MM-DD", checked against the calendar.
std::optional<year_month_day> read_date(Reader& in) {
  const auto year = in.number(4);
  if (!year || !in.skip('-')) {
    return std::nullopt;
  }
  const auto month = in.number(2);
  if (!month || !in.skip('-')) {
    return std::nullopt;
  }
  const auto day = in.number(2);
  if (!day) {
    return std::nullopt;
  }

  const year_month_day date{std::chrono::year{*year},
                            std::chrono::month{static_cast<unsigned>(*month)},
                            std::chrono::day{static_cast<unsigned>(*day)}};
  return date.ok() ? std::optional(date) : std::nullopt;
}

// ".digits" after the seconds; digits past the sixth are dropped.
std::optional<microseconds> read_fraction(Reader& in) {
  if (!in.skip('.')) {
    return microseconds::zero();
  }
  const std::string_view digits = in.digits();
  if (digits.empty()) {
    return std::nullopt;
  }

  int value = 0;
  for (std::size_t i = 0; i < 6; ++i) {
    value = value * 10 + (i < digits.size() ? digits[i] - '0' : 0);
  }
  return microseconds(value);
}

// "hh:mm:ss" and an optional fraction.
std::optional<ClockTime> read_time(Reader& in) {
  const auto hour = in.number_at_most(2, 23);
  if (!hour || !in.skip(':')) {
    return std::nullopt;
  }
  const auto minute = in.number_at_most(2, 59);
  if (!minute || !in.skip(':')) {
    return std::nullopt;
  }
  const auto second = in.number_at_most(2, 60);
  if (!second) {
    return std::nullopt;
  }
  const auto fraction = read_fraction(in);
  if (!fraction) {
    return std::nullopt;
  }
  return ClockTime{hours(*hour), minutes(*minute), *second, *fraction};
}

// "Z", "z" or "+hh:mm" / "-hh:mm": how far the written time is ahead of UTC.
std::optional<minutes> read_offset(Reader& in) {
  if (in.skip('Z') || in.skip('z')) {
    return minutes::zero();
  }

  int sign = 0;
  if (in.skip('+')) {
    sign = 1;
  } else if (in.skip('-')) {
    sign = -1;
  } else {
    return std::nullopt;
  }

  const auto offset_hours = in.number_at_most(2, 23);
  if (!offset_hours || !in.skip(':')) {
    return std::nullopt;
  }
  const auto offset_minutes = in.number_at_most(2, 59);
  if (!offset_minutes) {
    return std::nullopt;
  }
  return sign * (hours(*offset_hours) + minutes(*offset_minutes));
}

// `second_59` is the instant of second 59 of the minute that held second 60. A leap second can
// only follow 23:59:59 UTC on the last day of a month.
std::optional<Timestamp> fold_leap_second(Timestamp second_59) {
  const auto day = std::chrono::floor<days>(second_59);
  const bool last_second_of_day = second_59 - day == hours(23) + minutes(59) + seconds(59);
  const bool last_day_of_month = year_month_day{day + days(1)}.day() == std::chrono::day{1};
  if (!last_second_of_day || !last_day_of_month) {
    return std::nullopt;
  }
  return second_59 + seconds(1) - microseconds(1);
}

// The year as RFC 3339 writes it; out-of-range years get a sign or more digits.
std::string format_year(int year) {
  std::array<char, 16> buffer{};
  std::snprintf(buffer.data(), buffer.size(), "%s%04d", year < 0 ? "-" : "", std::abs(year));
  return buffer.data();
}

// The fraction of a second as ".d" to ".dddddd" without trailing zeros, or empty for zero.
std::string format_fraction(microseconds fraction) {
  if (fraction == microseconds::zero()) {
    return {};
  }
  std::array<char, 8> buffer{};
  std::snprintf(buffer.data(), buffer.size(), "%06lld", static_cast<long long>(fraction.count()));
  std::string digits = buffer.data();
  digits.erase(digits.find_last_not_of('0') + 1);
  return "." + digits;
}

}  // namespace

std::optional<Timestamp> parse_rfc3339(std::string_view text) {
  Reader in(text);
  const auto date = read_date(in);
  if (!date || !(in.skip('T') || in.skip('t'))) {
    return std::nullopt;
  }
  const auto time = read_time(in);
  if (!time) {
    return std::nullopt;
  }
  const auto offset = read_offset(in);
  if (!offset || !in.at_end()) {
    return std::nullopt;
  }

  // Second 60 is counted as 59 here; fold_leap_second() checks where it fell and places it.
  const Timestamp utc_whole_second =
      sys_days(*date) + time->hour + time->minute + seconds(std::min(time->second, 59)) - *offset;
  if (time->second == 60) {
    return fold_leap_second(utc_whole_second);
  }
  return utc_whole_second + time->fraction;
}

std::string format_rfc3339(Timestamp instant) {
  const auto day = std::chrono::floor<days>(instant);
  const year_month_day date{day};
  const std::chrono::hh_mm_ss<microseconds> time{instant - day};

  std::array<char, 32> clock{};
  std::snprintf(clock.data(), clock.size(), "-%02u-%02uT%02d:%02d:%02d",
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                static_cast<int>(time.hours().count()), static_cast<int>(time.minutes().count()),
                static_cast<int>(time.seconds().count()));

  return format_year(static_cast<int>(date.year())) + clock.data() +
         format_fraction(time.subseconds()) + "Z";
}

}  // namespace waypost::shortener
