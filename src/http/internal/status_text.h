#pragma once

#include <string_view>

namespace gatehouse::http::internal {

// The reason phrase used as a problem title ("Not Found"); "Error" for codes without one here.
std::string_view ReasonPhrase(int status);

}  // namespace gatehouse::http::internal
