// The demo tenant of `gatehouse serve --demo`: the bundle in examples/tenant, embedded in the
// binary at build time so the server needs no files beside it.
#pragma once

#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "store/store.h"

namespace gatehouse::app {

// (path relative to the bundle, file contents), generated from examples/tenant.
const std::vector<std::pair<std::string_view, std::string_view>>& DemoTenantFiles();

// Imports the demo tenant into `store` (replacing its tenant objects).
absl::Status SeedDemoTenant(store::Store& store);

}  // namespace gatehouse::app
