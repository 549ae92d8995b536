// Time formatting helpers shared by the wire formats and the CLI. Pure functions.
#pragma once

#include <string>

#include "common/clock.h"

namespace berth {

// 20261128T204826Z (SigV4's X-Amz-Date).
std::string FormatAmzDate(TimeMs t);
// Parses an X-Amz-Date; false on malformed input.
bool ParseAmzDate(const std::string& s, TimeMs* out);
// 2026-11-28T20:48:26.54Z — ISO 8601 with milliseconds, trailing zeros trimmed.
std::string FormatIsoMillis(TimeMs t);
// ECS wire timestamps: epoch seconds with a millisecond fraction, as a JSON number.
double EpochSeconds(TimeMs t);

}  // namespace berth
