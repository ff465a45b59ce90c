// QR codes of short links, rendered as SVG or PNG images.
#pragma once

#include <string>
#include <string_view>

namespace waypost::shortener {

// Limits on QrOptions. The HTTP layer checks requests against them before rendering; the
// renderers check again and throw, so a caller that skips the check cannot ask for a huge image.
inline constexpr int kMinQrSize = 64;
inline constexpr int kMaxQrSize = 2048;
inline constexpr int kMaxQrMargin = 16;

struct QrOptions {
  // Wanted image width (and height) in pixels, kMinQrSize..kMaxQrSize. Each module is drawn
  // max(1, size / (modules + 2 * margin)) pixels wide, a whole number so that edges stay crisp,
  // which makes the image at most `size` wide, unless even 1 pixel per module is wider.
  int size = 256;
  // Quiet zone around the symbol, in modules, 0..kMaxQrMargin. Scanners want 4.
  int margin = 4;
};

// Both renderers encode `text` as 8-bit data with error correction level M, in the smallest
// QR version that holds it, and draw dark modules black on white. They throw
// std::invalid_argument when `text` is empty or too long for any QR version (about 2,300 bytes
// at level M), or when an option is out of range. Safe to call from any number of threads.

// An SVG document whose width and height are the image size in pixels and whose viewBox is in
// modules (quiet zone included). The dark modules are one <path> over a white background;
// shape-rendering is crispEdges so that scaled renderings do not blur the module edges.
std::string render_qr_svg(std::string_view text, const QrOptions& options);

// The bytes of a 1-bit greyscale PNG image, encoded in memory by libpng.
std::string render_qr_png(std::string_view text, const QrOptions& options);

}  // namespace waypost::shortener
