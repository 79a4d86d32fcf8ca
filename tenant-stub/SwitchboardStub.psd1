@{
    # Stand-in for the MicrosoftTeams / SkypeForBusiness / MSOnline / Microsoft.Graph.Users cmdlets Switchboard is allowed to run. Test and demo use only.
    RootModule        = 'SwitchboardStub.psm1'
    ModuleVersion     = '1.4.0'
    GUID              = '6f0c1c8e-5b7a-4d8e-9a54-2f1d5e0c7b31'
    Author            = 'Switchboard'
    Description       = 'Switchboard stand-in for the Skype for Business Online / MicrosoftTeams voice cmdlets (CCE era semantics).'
    PowerShellVersion = '7.2'
    FunctionsToExport = @(
        'Connect-MicrosoftTeams', 'Get-CsOnlineUser', 'Set-CsUser', 'Get-CsUserPstnSettings', 'Set-CsUserPstnSettings',
        'Grant-CsVoiceRoutingPolicy', 'Get-CsTenantHybridConfiguration', 'Set-CsTenantHybridConfiguration', 'Get-CsHybridPSTNSite',
        'Get-CsTenantFederationConfiguration', 'Set-CsTenantFederationConfiguration', 'Get-CsOnlineSipDomain',
        'Get-CsHybridMediationServer', 'Set-CsHybridMediationServer', 'Set-MsolUser', 'Update-MgUser', 'Get-MgUser',
        'Get-CsOnlinePSTNGateway', 'New-CsOnlinePSTNGateway', 'Set-CsOnlinePSTNGateway', 'Set-CsPhoneNumberAssignment', 'Get-CsOnlineVoiceRoutingPolicy',
        'Grant-CsOnlineVoiceRoutingPolicy', 'Get-CsOnlinePstnUsage', 'Set-CsOnlinePstnUsage', 'Get-CsOnlineVoiceRoute', 'New-CsOnlineVoiceRoute',
        'New-CsOnlineVoiceRoutingPolicy'
    )
    CmdletsToExport   = @()
    VariablesToExport = @()
    AliasesToExport   = @()
}
