# Identity resolution and the -Filter subset, mirroring src/tenant/sim/store.ts (resolve), identity.ts and filter.ts exactly.
# .NET and JavaScript regexes differ in small ways, so the patterns spell out what JavaScript means:
# JS trim()/\s whitespace, ASCII-only \d, `$` as end of input (\z), `.` not matching line terminators.

$script:JsSpace = '\t\n\v\f\r \u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\uFEFF'
$script:JsTrimChars = [char[]]@(9, 10, 11, 12, 13, 32, 0xA0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000, 0xFEFF)
$script:GuidPattern = [regex]::new('^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\z')
$script:TelUriPattern = [regex]::new('^tel:\+[1-9][0-9]{6,14}(;ext=[0-9]{1,10})?\z')
$script:ClausePattern = [regex]::new("^[$($script:JsSpace)]*([A-Za-z]+)[$($script:JsSpace)]+-([Ee][Qq]|[Nn][Ee]|[Ll][Ii][Kk][Ee])[$($script:JsSpace)]+(?:'((?:[^']|'')*)'|\`$([Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee]))[$($script:JsSpace)]*")
$script:JoinPattern = [regex]::new("^-([Aa][Nn][Dd]|[Oo][Rr])[$($script:JsSpace)]+")

function Get-StubLikePattern([string]$Pattern) {
    $parts = $Pattern.Split('*') | ForEach-Object { [regex]::Escape($_) }
    return [regex]::new('^' + ($parts -join '[^\n\r\u2028\u2029]*') + '\z', 'IgnoreCase, CultureInvariant')
}

function Add-StubMatches($Set, $Bucket, [string]$Key) {
    if ($Bucket.ContainsKey($Key)) { foreach ($i in $Bucket[$Key]) { [void]$Set.Add($i) } }
}

# Indexes (in tenant order) of every user the identity names; empty when none.
function Resolve-StubIdentity($Cache, [string]$Identity) {
    $id = $Identity.Trim($script:JsTrimChars)
    $lower = $id.ToLowerInvariant()
    $set = [Collections.Generic.SortedSet[int]]::new()
    if ($script:GuidPattern.IsMatch($id)) { Add-StubMatches $set $Cache.Index.id $lower }
    elseif ($lower.StartsWith('sip:', [StringComparison]::Ordinal)) { Add-StubMatches $set $Cache.Index.sip $lower }
    elseif ($id.Contains('*')) {
        $re = Get-StubLikePattern $id
        for ($i = 0; $i -lt $Cache.Users.Count; $i++) { if ($re.IsMatch($Cache.Users[$i].DisplayName)) { [void]$set.Add($i) } }
    }
    elseif ($id.Contains('@')) { Add-StubMatches $set $Cache.Index.upn $lower; Add-StubMatches $set $Cache.Index.sip "sip:$lower" }
    else { Add-StubMatches $set $Cache.Index.name $lower; Add-StubMatches $set $Cache.Index.alias $lower }
    return , ([int[]]@($set))
}

function ConvertFrom-StubFilter([string]$Filter) {
    $clauses = [Collections.Generic.List[object]]::new()
    $joins = [Collections.Generic.List[string]]::new()
    $rest = $Filter.Trim($script:JsTrimChars)
    while ($true) {
        $m = $script:ClausePattern.Match($rest)
        if (-not $m.Success) { throw [ArgumentException]::new("Invalid filter: `"$Filter`".") }
        $value = if ($m.Groups[4].Success) { $m.Groups[4].Value.ToLowerInvariant() -eq 'true' } else { $m.Groups[3].Value.Replace("''", "'") }
        $clauses.Add(@{ Property = $m.Groups[1].Value; Op = $m.Groups[2].Value.ToLowerInvariant(); Value = $value })
        $rest = $rest.Substring($m.Length)
        if ($rest.Length -eq 0) { break }
        $j = $script:JoinPattern.Match($rest)
        if (-not $j.Success) { throw [ArgumentException]::new("Invalid filter: `"$Filter`".") }
        $joins.Add($j.Groups[1].Value.ToLowerInvariant())
        $rest = $rest.Substring($j.Length)
    }
    return @{ Clauses = $clauses; Joins = $joins }
}

function Test-StubClause($Clause, [Collections.Specialized.OrderedDictionary]$Record) {
    $key = $null
    foreach ($k in $Record.Keys) { if ($k.ToLowerInvariant() -eq $Clause.Property.ToLowerInvariant()) { $key = $k; break } }
    $has = $null -ne $key
    $actual = if ($has) { $Record[$key] } else { $null }
    if ($Clause.Value -is [bool]) {
        $same = $has -and $actual -is [bool] -and $actual -eq $Clause.Value
        return $(if ($Clause.Op -eq 'ne') { -not $same } else { $same })
    }
    # String(x) in JavaScript: null/undefined -> '', booleans lower-case, arrays comma-joined.
    $text = if ($null -eq $actual) { '' } elseif ($actual -is [bool]) { $actual.ToString().ToLowerInvariant() } elseif ($actual -is [array]) { $actual -join ',' } else { [string]$actual }
    if ($Clause.Op -eq 'like') { return (Get-StubLikePattern $Clause.Value).IsMatch($text) }
    $equal = $text.ToLowerInvariant() -ceq $Clause.Value.ToLowerInvariant()
    return $(if ($Clause.Op -eq 'eq') { $equal } else { -not $equal })
}

function Test-StubFilter($Filter, $Record) {
    $result = Test-StubClause $Filter.Clauses[0] $Record
    for ($i = 0; $i -lt $Filter.Joins.Count; $i++) {
        $next = Test-StubClause $Filter.Clauses[$i + 1] $Record
        $result = if ($Filter.Joins[$i] -eq 'and') { $result -and $next } else { $result -or $next }
    }
    return $result
}
