# Test-only hooks, reachable only through files in the data directory (never through a cmdlet parameter):
#   faults.json   [{ "cmdlet": "Get-CsOnlineUser" | "*", "mode": "hang"|"transient"|"crash"|"auth-expired", "times": 2, "seconds": 30 }]
#                 each matching call consumes one "times" (-1 = forever) and then misbehaves as asked.
#   journal.jsonl one line per cmdlet call with its bound parameters (UTF-8 bytes as base64), when
#                 SWITCHBOARD_STUB_JOURNAL=1, so tests can show values arrive byte for byte.
#   connect.jsonl one line per Connect-MicrosoftTeams call.

$script:Connected = $false

function Add-StubLine([string]$Name, $Object) {
    $line = (ConvertTo-Json -InputObject $Object -Compress -Depth 6) + "`n"
    [IO.File]::AppendAllText([IO.Path]::Combine((Get-StubDataDir), $Name), $line, [Text.UTF8Encoding]::new($false))
}

function ConvertTo-StubJournalValue($Value) {
    if ($null -eq $Value) { return @{ type = 'null' } }
    if ($Value -is [string]) { return @{ type = 'string'; utf8 = [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes($Value)); length = $Value.Length } }
    return @{ type = $Value.GetType().Name; value = $Value }
}

function Write-StubJournal([string]$Cmdlet, $Bound) {
    if ($env:SWITCHBOARD_STUB_JOURNAL -ne '1') { return }
    $params = [ordered]@{}
    foreach ($k in $Bound.Keys) { $params[$k] = ConvertTo-StubJournalValue $Bound[$k] }
    Invoke-StubLocked { Add-StubLine 'journal.jsonl' ([ordered]@{ pid = $PID; cmdlet = $Cmdlet; params = $params }) }
}

function New-StubError([string]$Message, [Management.Automation.ErrorCategory]$Category, [string]$Id, $Target) {
    $ex = if ($Category -eq 'InvalidArgument') { [ArgumentException]::new($Message) } else { [InvalidOperationException]::new($Message) }
    return [Management.Automation.ErrorRecord]::new($ex, $Id, $Category, $Target)
}

function Invoke-StubFault([string]$Cmdlet) {
    $file = [IO.Path]::Combine((Get-StubDataDir), 'faults.json')
    if (-not [IO.File]::Exists($file)) { return $null }
    $fault = Invoke-StubLocked {
        if (-not [IO.File]::Exists($file)) { return $null }
        $rules = @(ConvertFrom-Json -InputObject ([IO.File]::ReadAllText($file)) -AsHashtable)
        foreach ($rule in $rules) {
            if (($rule.cmdlet -eq '*' -or $rule.cmdlet -eq $Cmdlet) -and $rule.times -ne 0) {
                if ($rule.times -gt 0) { $rule.times-- }
                [IO.File]::WriteAllText($file, (ConvertTo-Json -InputObject ([object[]]$rules) -Depth 4))
                return $rule
            }
        }
        return $null
    }
    if ($null -eq $fault) { return $null }
    switch ($fault.mode) {
        'hang' { [Threading.Thread]::Sleep([int](1000 * ($fault.seconds ?? 3600))) }
        'crash' { [Environment]::Exit(70) }
        'transient' { return (New-StubError 'Code: TooManyRequests / Message: Too Many Requests (429). Retry after 1 second.' 'LimitsExceeded' 'TooManyRequests' $Cmdlet) }
        'auth-expired' { $script:Connected = $false }
    }
    return $null
}

function Assert-StubReady([Management.Automation.PSCmdlet]$Cmdlet) {
    $name = $Cmdlet.MyInvocation.MyCommand.Name
    Write-StubJournal $name $Cmdlet.MyInvocation.BoundParameters
    $err = Invoke-StubFault $name
    if ($null -ne $err) { $Cmdlet.ThrowTerminatingError($err) }
    if (-not $script:Connected) {
        $Cmdlet.ThrowTerminatingError((New-StubError 'You must call the Connect-MicrosoftTeams cmdlet before calling any other cmdlets.' 'AuthenticationError' 'NotConnected' $name))
    }
}
