#include "compliance/action_planner.h"

#include "compliance/test_util.h"
#include "gtest/gtest.h"

namespace gatehouse::compliance {
namespace {

using testing::At;

class ActionPlannerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    policies_ = testing::Compile({testing::PolicyFromJson(R"({"id":"n","platform":"iOS",
      "rules":[{"key":"jailBroken","operator":"equals","value":false}],
      "actions":[{"action":"notifyUser","markNonCompliant":false},
                 {"action":"blockAccess","delayHours":24},
                 {"action":"enterpriseWipe","delayHours":48}]})")});
  }
  DeviceVerdict Verdict(bool jailbroken, const std::string& now) {
    auto verdict =
        EvaluateDevice(*policies_,
                       testing::DeviceFromJson(
                           std::string(R"({"deviceId":"d","operatingSystem":"iOS","jailBroken":)") +
                           (jailbroken ? "true" : "false") +
                           R"(,"observedDateTime":"2025-03-01T00:00:00Z",
          "firstNoncompliantDateTime":"2025-03-01T00:00:00Z","assignedPolicyIds":["n"]})"),
                       TenantSettings{}, At(now));
    return *verdict;
  }
  std::shared_ptr<const CompiledPolicySet> policies_;
};

TEST_F(ActionPlannerTest, StepsBecomeDueAfterTheirDelay) {
  ActionHistory history{At("2025-03-01T00:00:00Z"), {}};
  auto due = PlanDueActions(Verdict(true, "2025-03-01T01:00:00Z"), *policies_, history,
                            At("2025-03-01T01:00:00Z"));
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].type, ActionType::kNotifyUser);
  due = PlanDueActions(Verdict(true, "2025-03-04T00:00:00Z"), *policies_, history,
                       At("2025-03-04T00:00:00Z"));
  ASSERT_EQ(due.size(), 3u);
  EXPECT_EQ(due[1].type, ActionType::kBlockAccess);
  EXPECT_EQ(due[1].due_at, At("2025-03-02T00:00:00Z"));
  EXPECT_EQ(due[2].type, ActionType::kEnterpriseWipe);
  EXPECT_EQ(due[2].due_at, At("2025-03-04T00:00:00Z"));
}

TEST_F(ActionPlannerTest, TakenStepsAreNeverDueAgain) {
  ActionHistory history{At("2025-03-01T00:00:00Z"), {}};
  const absl::Time now = At("2025-03-02T06:00:00Z");
  DeviceVerdict verdict = Verdict(true, "2025-03-02T06:00:00Z");
  auto first = PlanDueActions(verdict, *policies_, history, now);
  ASSERT_EQ(first.size(), 2u);
  for (const DueAction& action : first) history.taken.push_back({action.policy_id, action.step});
  EXPECT_TRUE(PlanDueActions(verdict, *policies_, history, now).empty());
}

TEST_F(ActionPlannerTest, CompliantDeviceHasNothingDue) {
  ActionHistory history{At("2025-03-01T00:00:00Z"), {}};
  EXPECT_TRUE(PlanDueActions(Verdict(false, "2025-03-09T00:00:00Z"), *policies_, history,
                             At("2025-03-09T00:00:00Z"))
                  .empty());
}

TEST_F(ActionPlannerTest, MissingFirstNoncompliantTimeStartsNow) {
  ActionHistory history;
  auto due = PlanDueActions(Verdict(true, "2025-03-05T00:00:00Z"), *policies_, history,
                            At("2025-03-05T00:00:00Z"));
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].type, ActionType::kNotifyUser);
}

}  // namespace
}  // namespace gatehouse::compliance
