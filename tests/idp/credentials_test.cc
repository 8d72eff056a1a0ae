#include "idp/credentials.h"

#include <memory>
#include <string>

#include "store/temp_dir.h"
#include "gtest/gtest.h"

namespace gatehouse::idp {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1714557600);

class CredentialStoreTest : public ::testing::Test {
protected:
  void SetUp() override {
    auto opened = store::OpenSqliteStore(dir_.path());
    ASSERT_TRUE(opened.ok()) << opened.status();
    store_ = std::move(*opened);
    credentials_ = std::make_unique<CredentialStore>(*store_);
  }
  store::testing::TempDir dir_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<CredentialStore> credentials_;
};

TEST_F(CredentialStoreTest, PasswordsAreStoredAsArgon2idHashesAndVerified) {
  ASSERT_TRUE(credentials_->SetUserPassword("u1", "correct horse", kNow).ok());
  EXPECT_TRUE(credentials_->VerifyUserPassword("u1", "correct horse"));
  EXPECT_FALSE(credentials_->VerifyUserPassword("u1", "correct horsf"));
  EXPECT_FALSE(
      credentials_->VerifyUserPassword("", "correct horse")); // unknown account
  EXPECT_FALSE(
      credentials_->VerifyUserPassword("u2", "correct horse")); // no password
  auto stored = store_->Get(store::ObjectKind::kCredential, "user:u1");
  ASSERT_TRUE(stored.ok() && stored->has_value());
  EXPECT_EQ((*stored)->body.find("correct horse"), std::string::npos);
  EXPECT_NE((*stored)->body.find("$argon2id$"), std::string::npos);
}

TEST_F(CredentialStoreTest, RefusesPasswordsOutsideTheLengthLimits) {
  EXPECT_EQ(credentials_->SetUserPassword("u1", "short", kNow).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      credentials_->SetUserPassword("u1", std::string(257, 'a'), kNow).code(),
      absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(credentials_->HasPassword("u1"));
}

TEST_F(CredentialStoreTest, TotpStepsOnlyMoveForward) {
  ASSERT_TRUE(
      credentials_->SetTotp("u1", "12345678901234567890", 100, kNow).ok());
  auto totp = credentials_->GetTotp("u1");
  ASSERT_TRUE(totp.has_value());
  EXPECT_EQ(totp->secret, "12345678901234567890");
  EXPECT_EQ(totp->last_step, 100);
  EXPECT_EQ(credentials_->AcceptTotpStep("u1", 100).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(credentials_->AcceptTotpStep("u1", 101).ok());
  EXPECT_EQ(credentials_->GetTotp("u1")->last_step, 101);
  EXPECT_FALSE(credentials_->GetTotp("u2").has_value());
}

TEST_F(CredentialStoreTest, ClientSecretsAreShownOnceAndStoredHashed) {
  auto secret =
      credentials_->AddClientSecret("app-1", "ci", kNow, absl::Hours(1));
  ASSERT_TRUE(secret.ok()) << secret.status();
  EXPECT_GE(secret->secret_text.size(), 40u);
  EXPECT_EQ(secret->hint, secret->secret_text.substr(0, 3));
  EXPECT_TRUE(
      credentials_->VerifyClientSecret("app-1", secret->secret_text, kNow));
  EXPECT_FALSE(credentials_->VerifyClientSecret("app-1", "wrong", kNow));
  EXPECT_FALSE(
      credentials_->VerifyClientSecret("app-2", secret->secret_text, kNow));
  // Expired secrets no longer authenticate.
  EXPECT_FALSE(credentials_->VerifyClientSecret("app-1", secret->secret_text,
                                                kNow + absl::Hours(1)));
  auto listed = credentials_->ClientSecrets("app-1");
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].secret_text, "");
  auto stored = store_->Get(store::ObjectKind::kCredential, "app:app-1");
  ASSERT_TRUE(stored.ok() && stored->has_value());
  EXPECT_EQ((*stored)->body.find(secret->secret_text), std::string::npos);
  EXPECT_TRUE(credentials_->RemoveClientSecret("app-1", secret->key_id).ok());
  EXPECT_FALSE(
      credentials_->VerifyClientSecret("app-1", secret->secret_text, kNow));
  EXPECT_EQ(credentials_->RemoveClientSecret("app-1", secret->key_id).code(),
            absl::StatusCode::kNotFound);
}

} // namespace
} // namespace gatehouse::idp
