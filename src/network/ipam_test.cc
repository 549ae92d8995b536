// Subnet parsing and address allocation (no privileges needed).
#include "network/ipam.h"

#include <gtest/gtest.h>

#include <set>

namespace berth::network {
namespace {

TEST(Ipv4Test, ParseAndFormat) {
  Result<Ipv4> a = ParseIpv4("10.213.0.1");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(*a, 0x0ad50001u);
  EXPECT_EQ(FormatIpv4(*a), "10.213.0.1");
  EXPECT_EQ(FormatIpv4(0xffffffffu), "255.255.255.255");
  EXPECT_EQ(FormatIpv4(0), "0.0.0.0");
  for (const char* bad :
       {"", "10", "10.213.0", "10.213.0.1.2", "256.0.0.1", "10.213.0.01", "10..0.1", "a.b.c.d",
        "10.213.0.1 ", " 10.213.0.1", "1000.0.0.1", "10.213.0.-1", "10.213.0.1/16"}) {
    EXPECT_FALSE(ParseIpv4(bad).ok()) << bad;
  }
}

TEST(SubnetTest, ParsesCidr) {
  Result<Subnet> s = ParseSubnet("10.213.0.0/16");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->prefix_len, 16);
  EXPECT_EQ(FormatIpv4(s->network), "10.213.0.0");
  EXPECT_EQ(FormatIpv4(s->gateway()), "10.213.0.1");
  EXPECT_EQ(FormatIpv4(s->broadcast()), "10.213.255.255");
  EXPECT_EQ(FormatIpv4(s->Mask()), "255.255.0.0");
  EXPECT_TRUE(s->Contains(*ParseIpv4("10.213.200.7")));
  EXPECT_FALSE(s->Contains(*ParseIpv4("10.214.0.1")));
  EXPECT_EQ(s->ToString(), "10.213.0.0/16");
  EXPECT_TRUE(ParseSubnet("10.0.0.0/8").ok());
  EXPECT_TRUE(ParseSubnet("192.168.7.4/30").ok());
}

TEST(SubnetTest, RejectsGarbageWithAClearMessage) {
  struct Case {
    const char* text;
    const char* says;
  };
  for (const Case& c :
       {Case{"", "needs a prefix length"}, Case{"10.213.0.0", "needs a prefix length"},
        Case{"garbage", "needs a prefix length"}, Case{"10.213.0.0/", "CIDR"},
        Case{"10.213.0.0/x", "CIDR"}, Case{"10.213.0.0/-16", "CIDR"},
        Case{"10.213.0.0/016", "CIDR"}, Case{"10.213.0/16", "CIDR"},
        Case{"10.213.0.0/16/2", "CIDR"}, Case{"10.0.0.0/7", "between /8 and /30"},
        Case{"10.0.0.0/0", "between /8 and /30"}, Case{"10.0.0.0/31", "between /8 and /30"},
        Case{"10.0.0.0/32", "between /8 and /30"},
        Case{"10.213.5.0/16", "did you mean 10.213.0.0/16?"}}) {
    Result<Subnet> s = ParseSubnet(c.text);
    ASSERT_FALSE(s.ok()) << c.text;
    EXPECT_EQ(s.status().code(), Code::kInvalidArgument) << c.text;
    EXPECT_NE(s.status().message().find(c.says), std::string::npos)
        << c.text << ": " << s.status().message();
    EXPECT_NE(s.status().message().find(std::string("\"") + c.text + "\""), std::string::npos)
        << "names the input: " << s.status().message();
  }
}

TEST(IpamTest, SkipsNetworkGatewayAndBroadcast) {
  Ipam ipam(*ParseSubnet("10.9.8.0/29"));  // .0 network, .1 gateway, .7 broadcast
  EXPECT_EQ(ipam.Capacity(), 5u);
  std::vector<std::string> got;
  for (int i = 0; i < 5; ++i) {
    Result<Ipv4> a = ipam.Allocate();
    ASSERT_TRUE(a.ok());
    got.push_back(FormatIpv4(*a));
  }
  EXPECT_EQ(got,
            (std::vector<std::string>{"10.9.8.2", "10.9.8.3", "10.9.8.4", "10.9.8.5", "10.9.8.6"}));
  Result<Ipv4> full = ipam.Allocate();
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(full.status().code(), Code::kResourceExhausted);
  EXPECT_NE(full.status().message().find("10.9.8.0/29"), std::string::npos);
}

TEST(IpamTest, SlashThirtyHasOneTaskAddress) {
  Ipam ipam(*ParseSubnet("192.168.7.4/30"));
  EXPECT_EQ(ipam.Capacity(), 1u);
  Result<Ipv4> a = ipam.Allocate();
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(FormatIpv4(*a), "192.168.7.6");
  EXPECT_FALSE(ipam.Allocate().ok());
  ipam.Release(*a);
  EXPECT_EQ(FormatIpv4(*ipam.Allocate()), "192.168.7.6");
}

TEST(IpamTest, FreedAddressesAreReusedLast) {
  Ipam ipam(*ParseSubnet("10.9.8.0/29"));
  Ipv4 a = *ipam.Allocate();  // .2
  Ipv4 b = *ipam.Allocate();  // .3
  ipam.Release(a);
  EXPECT_EQ(FormatIpv4(*ipam.Allocate()), "10.9.8.4") << "not the just-freed .2";
  ipam.Release(b);
  EXPECT_EQ(FormatIpv4(*ipam.Allocate()), "10.9.8.5");
  EXPECT_EQ(FormatIpv4(*ipam.Allocate()), "10.9.8.6");
  // Wrapped around: the freed ones, oldest position first.
  EXPECT_EQ(FormatIpv4(*ipam.Allocate()), "10.9.8.2");
  EXPECT_EQ(FormatIpv4(*ipam.Allocate()), "10.9.8.3");
  EXPECT_FALSE(ipam.Allocate().ok());
  EXPECT_EQ(ipam.InUse(), 5u);
}

TEST(IpamTest, ReleaseOfUnknownOrFreeAddressIsANoOp) {
  Ipam ipam(*ParseSubnet("10.9.8.0/29"));
  ipam.Release(*ParseIpv4("10.9.8.3"));
  ipam.Release(*ParseIpv4("1.2.3.4"));
  EXPECT_EQ(ipam.InUse(), 0u);
  Ipv4 a = *ipam.Allocate();
  ipam.Release(a);
  ipam.Release(a);
  EXPECT_EQ(ipam.InUse(), 0u);
}

TEST(IpamTest, LargeSubnetHandsOutDistinctAddresses) {
  Ipam ipam(*ParseSubnet("10.0.0.0/8"));
  EXPECT_EQ(ipam.Capacity(), (1u << 24) - 3);
  std::set<Ipv4> seen;
  for (int i = 0; i < 1000; ++i) {
    Result<Ipv4> a = ipam.Allocate();
    ASSERT_TRUE(a.ok());
    EXPECT_TRUE(ipam.subnet().Contains(*a));
    EXPECT_TRUE(seen.insert(*a).second);
  }
}

}  // namespace
}  // namespace berth::network
