#include "runner/environment_file.h"

#include <gtest/gtest.h>

namespace berth::runner {
namespace {

using Vars = std::map<std::string, std::string>;

TEST(EnvironmentFileTest, AgentRules) {
  EXPECT_EQ(ParseEnvironmentFile("A=1\nB=two words\n"), (Vars{{"A", "1"}, {"B", "two words"}}));
  // Split at the first '='; no trimming, no quote removal, no escapes.
  EXPECT_EQ(ParseEnvironmentFile("URL=postgres://u:p@h/db?x=1\n"),
            (Vars{{"URL", "postgres://u:p@h/db?x=1"}}));
  EXPECT_EQ(ParseEnvironmentFile(" K = v \nQ=\"quoted\"\nE=a\\nb\n"),
            (Vars{{" K ", " v "}, {"Q", "\"quoted\""}, {"E", "a\\nb"}}));
  // Comments only when '#' is the first character.
  EXPECT_EQ(ParseEnvironmentFile("#A=1\n #B=2\nC=#3\n"), (Vars{{" #B", "2"}, {"C", "#3"}}));
  // Lines without '=', with an empty key or an empty value are skipped.
  EXPECT_EQ(ParseEnvironmentFile("novalue\n=x\nEMPTY=\n\nOK=1"), (Vars{{"OK", "1"}}));
  // The last duplicate in a file wins; CRLF line ends.
  EXPECT_EQ(ParseEnvironmentFile("A=1\r\nA=2\r\n"), (Vars{{"A", "2"}}));
  EXPECT_EQ(ParseEnvironmentFile(std::string("A=1\0x\nB=2\n", 10)), (Vars{{"B", "2"}}));
  EXPECT_TRUE(ParseEnvironmentFile("").empty());
}

TEST(EnvironmentFileTest, FirstFileListedWins) {
  Vars merged = ParseEnvironmentFile("A=first\n");
  MergeEnvironmentFile(ParseEnvironmentFile("A=second\nB=second\n"), &merged);
  EXPECT_EQ(merged, (Vars{{"A", "first"}, {"B", "second"}}));
}

}  // namespace
}  // namespace berth::runner
