# Tenant state in the simulated tenant's format (SimTenantState, sim-tenant.json), shared by several pwsh processes.
#
# Why this layout: re-parsing and re-serialising a 1,000-user file on every call costs tens of milliseconds in
# PowerShell. The stub therefore writes the same JSON document with one user per line, keeps each user's line and
# its parsed form in a per-process cache, and after another stub process wrote the file it re-parses only the
# lines that changed. A sidecar (sim-tenant.stub-stamp) says "the file as it is now was written by a stub with this
# identity fingerprint"; any other writer (the simulated tenant, a test) makes the next call do a full load.

$script:Cache = $null

function Get-StubDataDir {
    $dir = $env:SWITCHBOARD_STUB_DATA_DIR
    if ([string]::IsNullOrWhiteSpace($dir)) { throw 'SWITCHBOARD_STUB_DATA_DIR is not set: the stand-in module has no tenant to serve.' }
    return $dir
}

function Invoke-StubLocked([scriptblock]$Body) {
    # An exclusive FileShare.None open is an flock on Unix and a share lock on Windows; the kernel drops it if we die.
    $path = Join-Path (Get-StubDataDir) 'sim-tenant.lock'
    $deadline = [DateTime]::UtcNow.AddSeconds(30)
    $lock = $null
    while ($null -eq $lock) {
        try { $lock = [IO.File]::Open($path, 'OpenOrCreate', 'ReadWrite', 'None') }
        catch [IO.IOException] {
            if ([DateTime]::UtcNow -gt $deadline) { throw "The stand-in tenant store is locked by another process (waited 30 s)." }
            [Threading.Thread]::Sleep(1)
        }
    }
    try { & $Body } finally { $lock.Dispose() }
}

function Get-StubFileStamp([string]$File) {
    $info = [IO.FileInfo]::new($File)
    if (-not $info.Exists) { throw "No tenant state at $File (expected sim-tenant.json in SWITCHBOARD_STUB_DATA_DIR)." }
    return '{0}:{1}' -f $info.LastWriteTimeUtc.Ticks, $info.Length
}

function ConvertTo-StubUserLine($User) { ConvertTo-Json -InputObject $User -Compress -Depth 5 }

function Get-StubFingerprint($Users) {
    $sb = [Text.StringBuilder]::new()
    foreach ($u in $Users) { [void]$sb.Append($u.Identity).Append("`0").Append($u.UserPrincipalName).Append("`0").Append($u.SipAddress).Append("`0").Append($u.DisplayName).Append("`0").Append($u.Alias).Append("`n") }
    $bytes = [Security.Cryptography.SHA256]::HashData([Text.Encoding]::UTF8.GetBytes($sb.ToString()))
    return [Convert]::ToHexString($bytes)
}

function New-StubIndex($Users) {
    $index = @{ id = @{}; upn = @{}; sip = @{}; name = @{}; alias = @{} }
    for ($i = 0; $i -lt $Users.Count; $i++) {
        $u = $Users[$i]
        foreach ($pair in @(@('id', $u.Identity), @('upn', $u.UserPrincipalName), @('sip', $u.SipAddress), @('name', $u.DisplayName), @('alias', $u.Alias))) {
            $key = ([string]$pair[1]).ToLowerInvariant()
            $bucket = $index[$pair[0]]
            if (-not $bucket.ContainsKey($key)) { $bucket[$key] = [Collections.Generic.List[int]]::new() }
            $bucket[$key].Add($i)
        }
    }
    return $index
}

function Read-StubFull([string]$File, [string]$Stamp) {
    $state = ConvertFrom-Json -InputObject ([IO.File]::ReadAllText($File)) -AsHashtable -Depth 10
    $users = @($state.users)
    $state.Remove('users')
    $lines = [string[]]::new($users.Count)
    for ($i = 0; $i -lt $users.Count; $i++) { $lines[$i] = ConvertTo-StubUserLine $users[$i] }
    $header = (ConvertTo-Json -InputObject $state -Compress -Depth 10)
    $header = $header.Substring(0, $header.Length - 1) + ',"users":['
    $script:Cache = @{
        File = $File; Stamp = $Stamp; Header = $header; State = $state; Lines = $lines
        Users = [object[]]$users; Index = (New-StubIndex $users); Fingerprint = (Get-StubFingerprint $users)
    }
}

# Brings the per-process cache up to date with the file. Call inside Invoke-StubLocked.
function Sync-StubState {
    $file = Join-Path (Get-StubDataDir) 'sim-tenant.json'
    $stamp = Get-StubFileStamp $file
    $c = $script:Cache
    if ($null -ne $c -and $c.File -eq $file -and $c.Stamp -eq $stamp) { return $c }
    $sidecar = "$file.stub-stamp"
    # Sidecar: "<stamp written>|<identity fingerprint>|<stamp before that write>|<changed user indexes>".
    $side = @(if ($null -ne $c -and $c.File -eq $file -and [IO.File]::Exists($sidecar)) { [IO.File]::ReadAllText($sidecar).Split("|") })
    if ($side.Count -ne 4 -or $side[0] -cne $stamp -or $side[1] -cne $c.Fingerprint) { Read-StubFull $file $stamp; return $script:Cache }
    # Written by another stub process over the same users, one user per line: re-parse only what changed.
    $all = [IO.File]::ReadAllLines($file)
    if ($all.Count -ne $c.Lines.Count + 2) { Read-StubFull $file $stamp; return $script:Cache }
    # One write behind (the usual case with a few sessions): only the users that write touched can differ.
    $range = if ($side[2] -ceq $c.Stamp -and $side[3].Length -gt 0) { [int[]]$side[3].Split(',') } else { 0..($c.Lines.Count - 1) }
    foreach ($i in $range) {
        $line = $all[$i + 1]
        if ($line.EndsWith(',')) { $line = $line.Substring(0, $line.Length - 1) }
        if (-not ($line -ceq $c.Lines[$i])) { $c.Lines[$i] = $line; $c.Users[$i] = $null }
    }
    $c.Stamp = $stamp
    return $c
}

function Get-StubUser($Cache, [int]$Index) {
    $u = $Cache.Users[$Index]
    if ($null -eq $u) { $u = ConvertFrom-Json -InputObject $Cache.Lines[$Index] -AsHashtable; $Cache.Users[$Index] = $u }
    return $u
}

# Persists the users at the given indexes (already changed in the cache). Call inside Invoke-StubLocked.
function Save-StubUsers($Cache, [int[]]$Indexes) {
    foreach ($i in $Indexes) { $Cache.Lines[$i] = ConvertTo-StubUserLine $Cache.Users[$i] }
    $text = $Cache.Header + "`n" + [string]::Join(",`n", $Cache.Lines) + $(if ($Cache.Lines.Count -gt 0) { "`n" } else { '' }) + ']}'
    $tmp = "$($Cache.File).$PID.tmp"
    [IO.File]::WriteAllText($tmp, $text, [Text.UTF8Encoding]::new($false))
    [IO.File]::Move($tmp, $Cache.File, $true)
    $previous = $Cache.Stamp
    $Cache.Stamp = Get-StubFileStamp $Cache.File
    [IO.File]::WriteAllText("$($Cache.File).stub-stamp", "$($Cache.Stamp)|$($Cache.Fingerprint)|$previous|$($Indexes -join ',')")
}
