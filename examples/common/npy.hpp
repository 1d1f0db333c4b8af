// Float32 arrays as NumPy .npy files: how kws-features hands features to Python tooling and how
// the tests read their golden references. Header-only; C order, little-endian "<f4". A helper of
// the examples and tests, not part of libkws's installed API.
#pragma once

#include <cstdint>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "kws/error.hpp"

namespace kws_example {

struct NpyArray {
  std::vector<std::size_t> shape;
  std::vector<float> values;
};

inline void save_npy(const std::string& path, const float* values, const std::vector<std::size_t>& shape) {
  std::string dims;
  std::size_t count = 1;
  for (std::size_t d : shape) {
    dims += std::to_string(d) + ", ";
    count *= d;
  }
  if (shape.size() > 1) dims.resize(dims.size() - 2);  // "(3,)" for 1-D, "(3, 4)" otherwise
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + dims + "), }";
  // Magic (6) + version (2) + length (2) + header + '\n' is padded to a multiple of 64.
  header.append(63 - (10 + header.size()) % 64, ' ');
  header += '\n';
  std::ofstream out(path, std::ios::binary);
  if (!out) throw kws::FileError(kws::ErrorCode::io, path + ": cannot open for writing");
  const std::uint16_t length = std::uint16_t(header.size());
  out.write("\x93NUMPY\x01\x00", 8);
  const char length_bytes[2] = {char(length & 0xff), char(length >> 8)};
  out.write(length_bytes, 2);
  out.write(header.data(), std::streamsize(header.size()));
  out.write(reinterpret_cast<const char*>(values), std::streamsize(count * sizeof(float)));
  if (!out) throw kws::FileError(kws::ErrorCode::io, path + ": write failed");
}

inline NpyArray load_npy(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw kws::FileError(kws::ErrorCode::io, path + ": cannot open");
  char preamble[10];
  in.read(preamble, 10);
  if (!in || std::memcmp(preamble, "\x93NUMPY", 6) != 0 || preamble[6] != 1)
    throw kws::FileError(kws::ErrorCode::corrupt_data, path + ": not a version 1 .npy file");
  const std::size_t length = std::size_t(std::uint8_t(preamble[8])) | std::size_t(std::uint8_t(preamble[9])) << 8;
  std::string header(length, '\0');
  in.read(&header[0], std::streamsize(length));
  if (!in || header.find("'descr': '<f4'") == std::string::npos ||
      header.find("'fortran_order': False") == std::string::npos)
    throw kws::FileError(kws::ErrorCode::unsupported_format, path + ": only C-order float32 arrays are supported");
  const std::size_t open = header.find("'shape': (");
  const std::size_t close = header.find(')', open);
  if (open == std::string::npos || close == std::string::npos)
    throw kws::FileError(kws::ErrorCode::corrupt_data, path + ": no shape in header");
  NpyArray array;
  std::size_t count = 1;
  for (std::size_t i = open + 10; i < close;) {
    if (header[i] < '0' || header[i] > '9') { ++i; continue; }
    std::size_t dim = 0;
    while (i < close && header[i] >= '0' && header[i] <= '9') dim = dim * 10 + std::size_t(header[i++] - '0');
    array.shape.push_back(dim);
    count *= dim;
  }
  array.values.resize(count);
  in.read(reinterpret_cast<char*>(array.values.data()), std::streamsize(count * sizeof(float)));
  if (!in) throw kws::FileError(kws::ErrorCode::corrupt_data, path + ": truncated data");
  return array;
}

}  // namespace kws_example
