#!/usr/bin/perl
# Writes the small GeoIP country database the location tests read.
# Usage: make_test_mmdb.pl OUTPUT.mmdb
# Networks are documentation ranges (RFC 5737, RFC 3849), hence remove_reserved_networks => 0.
#   203.0.113.0/24  -> DE        198.51.100.0/24 -> US
#   2001:db8::/32   -> NL        192.0.2.0/24    -> registered_country FR only (fallback case)
# Everything else is unknown.
use strict;
use warnings;

use MaxMind::DB::Writer::Tree;

die "usage: $0 OUTPUT.mmdb\n" unless @ARGV == 1;
my ($output) = @ARGV;

my %types = (
    country            => 'map',
    registered_country => 'map',
    iso_code           => 'utf8_string',
);

my $tree = MaxMind::DB::Writer::Tree->new(
    ip_version               => 6,
    record_size              => 24,
    database_type            => 'GeoLite2-Country',
    languages                => ['en'],
    description              => { en => 'Gatehouse location test fixture' },
    alias_ipv6_to_ipv4       => 1,
    remove_reserved_networks => 0,
    map_key_type_callback    => sub { $types{ $_[0] } },
);

$tree->insert_network('203.0.113.0/24',  { country => { iso_code => 'DE' } });
$tree->insert_network('198.51.100.0/24', { country => { iso_code => 'US' } });
$tree->insert_network('2001:db8::/32',   { country => { iso_code => 'NL' } });
$tree->insert_network('192.0.2.0/24',    { registered_country => { iso_code => 'FR' } });

open my $fh, '>:raw', $output or die "cannot write $output: $!\n";
$tree->write_tree($fh);
close $fh or die "cannot close $output: $!\n";
