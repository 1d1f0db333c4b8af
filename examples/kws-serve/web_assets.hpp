// The browser page of kws-serve (web/), built into the binary by embed_web.cmake so the server is
// one file with no install layout to find.
#pragma once

#include <cstddef>
#include <vector>

namespace kws_web {

struct Asset {
  const char* path;  // URL path, e.g. "/app.js"
  const char* mime;
  const unsigned char* data;
  std::size_t size;
};

const std::vector<Asset>& assets();

}  // namespace kws_web
