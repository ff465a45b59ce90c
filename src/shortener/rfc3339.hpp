// RFC 3339 timestamps ("2030-01-01T07:00:00Z") as they appear in the API, read into and written
// from microsecond UTC instants.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace waypost::shortener {

// An instant in UTC (Unix time, so without leap seconds), to the microsecond.
using Timestamp = std::chrono::sys_time<std::chrono::microseconds>;

// Reads a full RFC 3339 date-time: "YYYY-MM-DD", "T" or "t", "hh:mm:ss", an optional "." and one
// or more fraction digits (digits beyond the sixth are dropped, not rounded), then "Z", "z" or a
// "+hh:mm" / "-hh:mm" offset with hh <= 23 and mm <= 59 ("-00:00" is read as UTC).
//
// Returns nullopt for anything else: a missing offset or seconds, a space instead of "T", an
// impossible date (month 13, February 29 outside leap years), hour 24, surrounding white space
// or trailing characters.
//
// Second 60 (a leap second) is accepted only where one can occur: when the time, brought to UTC,
// is 23:59 on the last day of a month. Unix time has no room for it, so it is read as the last
// microsecond of second 59 (23:59:60.5Z becomes 23:59:59.999999Z): instants stay in order and the
// next second starts the next day. Thread-safe.
[[nodiscard]] std::optional<Timestamp> parse_rfc3339(std::string_view text);

// Writes `instant` in UTC with a "Z" suffix. Fraction digits appear only when the fraction is not
// zero, without trailing zeros: "2030-01-01T07:00:00Z", "2030-01-01T07:00:00.5Z". For instants in
// years 0000 to 9999 the output reads back through parse_rfc3339() to the same instant; outside
// them the year is written with a sign or extra digits, which parse_rfc3339() refuses.
// Thread-safe.
[[nodiscard]] std::string format_rfc3339(Timestamp instant);

}  // namespace waypost::shortener
