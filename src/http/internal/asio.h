// The one place Boost.Beast and Boost.Asio are included. Only src/http/*.cc may include this
// header: every file that does costs a long compile, and no public header may expose Boost.
#pragma once

// clang-format off
// Must come first: Boost 1.74's Asio with g++ 12 in C++20 mode uses std::exchange & co. without
// including <utility> itself.
#include <utility>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
// clang-format on

namespace gatehouse::http::internal {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = boost::asio::ip::tcp;

}  // namespace gatehouse::http::internal
