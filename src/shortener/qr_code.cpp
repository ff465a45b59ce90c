#include "shortener/qr_code.hpp"

#include <png.h>
#include <qrencode.h>

#include <algorithm>
#include <cerrno>
#include <csetjmp>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

namespace waypost::shortener {
namespace {

// The most 8-bit data any QR code holds (version 40, level L); longer text is refused before
// it reaches libqrencode, whose length parameter is an int.
constexpr std::size_t kMaxQrBytes = 2953;

// The symbol as a square of modules plus the geometry of the image to draw it in.
struct QrLayout {
  int modules = 0;         // symbol width in modules, without the quiet zone
  int margin = 0;          // quiet zone in modules
  int module_pixels = 0;   // pixels per module
  std::vector<bool> dark;  // modules * modules, row by row

  int total_modules() const { return modules + 2 * margin; }
  int image_pixels() const { return total_modules() * module_pixels; }
  bool is_dark(int x, int y) const {
    return dark[static_cast<std::size_t>(y) * static_cast<std::size_t>(modules) +
                static_cast<std::size_t>(x)];
  }
};

struct QrcodeDeleter {
  void operator()(QRcode* code) const { QRcode_free(code); }
};

void check_options(const QrOptions& options) {
  if (options.size < kMinQrSize || options.size > kMaxQrSize) {
    throw std::invalid_argument("QR image size must be between " + std::to_string(kMinQrSize) +
                                " and " + std::to_string(kMaxQrSize) + " pixels");
  }
  if (options.margin < 0 || options.margin > kMaxQrMargin) {
    throw std::invalid_argument("QR margin must be between 0 and " + std::to_string(kMaxQrMargin) +
                                " modules");
  }
}

std::invalid_argument too_long(std::string_view text) {
  return std::invalid_argument("text of " + std::to_string(text.size()) +
                               " bytes is too long for a QR code at error correction level M");
}

QrLayout encode(std::string_view text, const QrOptions& options) {
  check_options(options);
  if (text.empty()) {
    throw std::invalid_argument("QR text is empty");
  }
  if (text.size() > kMaxQrBytes) {
    throw too_long(text);
  }

  // Version 0 lets libqrencode pick the smallest version that fits. Its Debian build uses
  // pthread mutexes around its shared tables, so concurrent calls are safe.
  errno = 0;
  std::unique_ptr<QRcode, QrcodeDeleter> code(
      QRcode_encodeData(static_cast<int>(text.size()),
                        reinterpret_cast<const unsigned char*>(text.data()), 0, QR_ECLEVEL_M));
  if (code == nullptr) {
    if (errno == ENOMEM) {
      throw std::bad_alloc();
    }
    // ERANGE is the documented answer to text that no version holds; EINVAL cannot come from
    // valid arguments, so both mean the text cannot be encoded.
    throw too_long(text);
  }

  QrLayout layout;
  layout.modules = code->width;
  layout.margin = options.margin;
  layout.module_pixels = std::max(1, options.size / layout.total_modules());

  // Bit 0 of each libqrencode byte says dark; the other bits describe the module's role.
  const std::size_t count =
      static_cast<std::size_t>(code->width) * static_cast<std::size_t>(code->width);
  layout.dark.resize(count);
  for (std::size_t i = 0; i < count; ++i) {
    layout.dark[i] = (code->data[i] & 1U) != 0;
  }
  return layout;
}

// Appends one horizontal run of dark modules as a closed rectangle of height 1.
void append_run(std::string& path, int x, int y, int length) {
  path += 'M';
  path += std::to_string(x);
  path += ' ';
  path += std::to_string(y);
  path += 'h';
  path += std::to_string(length);
  path += "v1h-";
  path += std::to_string(length);
  path += 'z';
}

// Path data in module units, quiet zone included, one rectangle per run of dark modules in a row.
std::string dark_modules_path(const QrLayout& layout) {
  std::string path;
  for (int y = 0; y < layout.modules; ++y) {
    int x = 0;
    while (x < layout.modules) {
      if (!layout.is_dark(x, y)) {
        ++x;
        continue;
      }
      const int start = x;
      while (x < layout.modules && layout.is_dark(x, y)) {
        ++x;
      }
      append_run(path, start + layout.margin, y + layout.margin, x - start);
    }
  }
  return path;
}

// What the libpng callbacks below need; plain pointers only, see write_png_guarded().
struct PngJob {
  const QrLayout* layout;
  png_bytep row;  // one packed image row, (width + 7) / 8 bytes
};

void append_png_bytes(png_structp png, png_bytep data, png_size_t length) {
  auto* out = static_cast<std::string*>(png_get_io_ptr(png));
  bool appended = true;
  try {
    out->append(reinterpret_cast<const char*>(data), length);
  } catch (const std::bad_alloc&) {
    appended = false;
  }
  // Reported outside the handler: png_error() leaves by longjmp.
  if (!appended) {
    png_error(png, "out of memory");
  }
}

void flush_png(png_structp) {}

// libpng's default handlers print to stderr; its errors here can only be out-of-memory, which
// render_qr_png() reports as std::bad_alloc.
[[noreturn]] void fail_png(png_structp png, png_const_charp) {
  png_longjmp(png, 1);
}
void ignore_png_warning(png_structp, png_const_charp) {}

// Packs image row `pixel_y` into job.row: bit 1 is white, bit 0 black, most significant first.
void pack_row(const PngJob& job, int pixel_y) {
  const QrLayout& layout = *job.layout;
  const int width = layout.image_pixels();
  std::fill_n(job.row, (width + 7) / 8, 0xFF);

  const int y = pixel_y / layout.module_pixels - layout.margin;
  if (y < 0 || y >= layout.modules) {
    return;
  }
  for (int x = 0; x < layout.modules; ++x) {
    if (!layout.is_dark(x, y)) {
      continue;
    }
    const int first = (x + layout.margin) * layout.module_pixels;
    for (int px = first; px < first + layout.module_pixels; ++px) {
      job.row[px / 8] = static_cast<png_byte>(job.row[px / 8] & ~(0x80U >> (px % 8)));
    }
  }
}

void write_png_image(png_structp png, png_infop info, const PngJob& job) {
  const auto width = static_cast<png_uint_32>(job.layout->image_pixels());
  png_set_IHDR(png, info, width, width, 1, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  for (png_uint_32 y = 0; y < width; ++y) {
    pack_row(job, static_cast<int>(y));
    png_write_row(png, job.row);
  }
  png_write_end(png, nullptr);
}

// libpng reports errors by longjmp to the setjmp below. Jumping over a C++ frame is only
// defined when that frame has no live objects with destructors, so everything from here down
// (write_png_image, pack_row, the callbacks) works on plain pointers and trivial locals, and
// this frame has no locals at all. Returns false when libpng gave up.
bool write_png_guarded(png_structp png, png_infop info, const PngJob& job) {
  if (setjmp(png_jmpbuf(png)) != 0) {
    return false;
  }
  write_png_image(png, info, job);
  return true;
}

}  // namespace

std::string render_qr_svg(std::string_view text, const QrOptions& options) {
  const QrLayout layout = encode(text, options);
  const std::string pixels = std::to_string(layout.image_pixels());
  const std::string modules = std::to_string(layout.total_modules());

  std::string svg = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  svg += "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"" + pixels +
         "\" height=\"" + pixels + "\" viewBox=\"0 0 " + modules + " " + modules +
         "\" shape-rendering=\"crispEdges\">\n";
  svg += "<rect width=\"" + modules + "\" height=\"" + modules + "\" fill=\"#fff\"/>\n";
  svg += "<path fill=\"#000\" d=\"" + dark_modules_path(layout) + "\"/>\n";
  svg += "</svg>\n";
  return svg;
}

std::string render_qr_png(std::string_view text, const QrOptions& options) {
  const QrLayout layout = encode(text, options);
  std::vector<png_byte> row(static_cast<std::size_t>((layout.image_pixels() + 7) / 8));
  std::string out;

  png_structp png =
      png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, fail_png, ignore_png_warning);
  if (png == nullptr) {
    throw std::bad_alloc();
  }
  png_infop info = png_create_info_struct(png);
  if (info == nullptr) {
    png_destroy_write_struct(&png, nullptr);
    throw std::bad_alloc();
  }
  png_set_write_fn(png, &out, append_png_bytes, flush_png);

  const bool written = write_png_guarded(png, info, PngJob{&layout, row.data()});
  png_destroy_write_struct(&png, &info);
  if (!written) {
    throw std::bad_alloc();
  }
  return out;
}

}  // namespace waypost::shortener
