// A set of policies by index, as a fixed 256-bit mask: the unit of work of the compiled engine.
#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>

namespace gatehouse::ca {

inline constexpr std::size_t kMaxCompiledPolicies = 256;

struct PolicyMask {
  std::array<std::uint64_t, kMaxCompiledPolicies / 64> words{};

  void Set(std::size_t i) { words[i / 64] |= std::uint64_t{1} << (i % 64); }
  void Clear(std::size_t i) { words[i / 64] &= ~(std::uint64_t{1} << (i % 64)); }
  bool Test(std::size_t i) const { return (words[i / 64] >> (i % 64)) & 1; }
  bool Any() const { return (words[0] | words[1] | words[2] | words[3]) != 0; }
  PolicyMask& operator|=(const PolicyMask& o) {
    for (std::size_t w = 0; w < words.size(); ++w) words[w] |= o.words[w];
    return *this;
  }
  PolicyMask& operator&=(const PolicyMask& o) {
    for (std::size_t w = 0; w < words.size(); ++w) words[w] &= o.words[w];
    return *this;
  }
  PolicyMask AndNot(const PolicyMask& o) const {
    PolicyMask r;
    for (std::size_t w = 0; w < words.size(); ++w) r.words[w] = words[w] & ~o.words[w];
    return r;
  }
  friend bool operator==(const PolicyMask&, const PolicyMask&) = default;

  // Calls f(i) for every set bit, in increasing order.
  template <typename F>
  void ForEach(F&& f) const {
    for (std::size_t w = 0; w < words.size(); ++w) {
      std::uint64_t bits = words[w];
      while (bits) {
        f(w * 64 + static_cast<std::size_t>(std::countr_zero(bits)));
        bits &= bits - 1;
      }
    }
  }
};

}  // namespace gatehouse::ca
