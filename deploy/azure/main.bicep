// Switchboard on Azure: an Azure Bot (SingleTenant) whose messaging endpoint is a Container App running
// the image from deploy/Dockerfile; a user-assigned managed identity that reads the bot secret and the
// PowerShell app's certificate from Key Vault; an Azure Files share for the SQLite store.
//
//   az deployment group create -g <rg> -f deploy/azure/main.bicep -p deploy/azure/main.parameters.json \
//     -p botAppPassword=<secret> teamsCertificatePfxBase64=$(base64 -w0 switchboard-teams.pfx) teamsCertificatePassword=<pfx password>
//
// The two Entra app registrations (the bot's, and the PowerShell app with its certificate and roles) are
// made beforehand; deploy/README.md walks through both.

@description('Prefix for every resource name (letters and digits, 3-11 characters).')
@minLength(3)
@maxLength(11)
param namePrefix string = 'switchbrd'

param location string = resourceGroup().location

@description('The container image, e.g. myregistry.azurecr.io/switchboard:0.1.0 (built from deploy/Dockerfile).')
param image string

@description('Registry server of the image; empty for a public image. Pulled with the managed identity (give it AcrPull).')
param registryServer string = ''

@description('Application (client) id of the bot\'s Entra app registration: MicrosoftAppId.')
param botAppId string

@description('The Entra tenant of the bot registration and of the organization it serves.')
param tenantId string = tenant().tenantId

@secure()
@description('Client secret of the bot\'s app registration: MicrosoftAppPassword. Stored in Key Vault only.')
param botAppPassword string

@description('Application (client) id of the PowerShell app registration (Connect-MicrosoftTeams app-only): TEAMS_APP_ID.')
param teamsAppId string

@secure()
@description('The PowerShell app\'s certificate, a PFX file in base64. Stored in Key Vault only.')
param teamsCertificatePfxBase64 string

@secure()
@description('Password of that PFX.')
param teamsCertificatePassword string

@secure()
@description('The audit chain\'s HMAC key: base64 of 32 random bytes (openssl rand -base64 32). Keep it: a new one refuses the existing log.')
param auditKey string

@secure()
@description('Seals gateway keys and PFX files and signs their download links: 32 random bytes as hex (openssl rand -hex 32). Keep it: a new one makes held keys unreadable.')
param keyStoreSecret string

@description('Comma-separated Entra object ids of the admins who approve: APPROVER_IDS.')
param approverIds string

@description('Comma-separated Entra tenant ids allowed to use the bot: ALLOWED_TENANT_IDS (default: this tenant).')
param allowedTenantIds string = tenantId

var suffix = uniqueString(resourceGroup().id)
var vaultName = '${namePrefix}kv${take(suffix, 8)}'
var storageName = toLower('${namePrefix}st${take(suffix, 8)}')

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: '${namePrefix}-id'
  location: location
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: vaultName
  location: location
  properties: {
    tenantId: tenantId
    sku: { family: 'A', name: 'standard' }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    enablePurgeProtection: true
    publicNetworkAccess: 'Enabled'
  }
}

resource botSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: 'bot-app-password'
  properties: { value: botAppPassword }
}

resource certSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: 'teams-certificate-pfx'
  properties: { value: teamsCertificatePfxBase64, contentType: 'application/x-pkcs12' }
}

resource certPasswordSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: 'teams-certificate-password'
  properties: { value: teamsCertificatePassword }
}

resource auditKeySecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: 'audit-key'
  properties: { value: auditKey }
}

resource keyStoreSecretValue 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: 'key-store-secret'
  properties: { value: keyStoreSecret }
}

// Key Vault Secrets User: read secret values, nothing else.
resource secretsUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: vault
  name: guid(vault.id, identity.id, '4633458b-17de-408a-b874-0445c86b69e6')
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '4633458b-17de-408a-b874-0445c86b69e6')
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

resource logs 'Microsoft.OperationalInsights/workspaces@2022-10-01' = {
  name: '${namePrefix}-logs'
  location: location
  properties: { sku: { name: 'PerGB2018' }, retentionInDays: 30 }
}

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: storageName
  location: location
  sku: { name: 'Standard_ZRS' }
  kind: 'StorageV2'
  properties: { minimumTlsVersion: 'TLS1_2', allowBlobPublicAccess: false, supportsHttpsTrafficOnly: true }
}

resource share 'Microsoft.Storage/storageAccounts/fileServices/shares@2023-05-01' = {
  name: '${storage.name}/default/switchboard-data'
  properties: { shareQuota: 5 }
}

resource environment 'Microsoft.App/managedEnvironments@2024-03-01' = {
  name: '${namePrefix}-env'
  location: location
  properties: {
    appLogsConfiguration: {
      destination: 'log-analytics'
      logAnalyticsConfiguration: { customerId: logs.properties.customerId, sharedKey: logs.listKeys().primarySharedKey }
    }
  }
}

resource environmentStorage 'Microsoft.App/managedEnvironments/storages@2024-03-01' = {
  parent: environment
  name: 'switchboard-data'
  properties: {
    azureFile: { accountName: storage.name, accountKey: storage.listKeys().keys[0].value, shareName: 'switchboard-data', accessMode: 'ReadWrite' }
  }
}

resource app 'Microsoft.App/containerApps@2024-03-01' = {
  name: '${namePrefix}-app'
  location: location
  identity: { type: 'UserAssigned', userAssignedIdentities: { '${identity.id}': {} } }
  dependsOn: [ secretsUser, environmentStorage, share ]
  properties: {
    managedEnvironmentId: environment.id
    configuration: {
      activeRevisionsMode: 'Single'
      ingress: { external: true, targetPort: 3978, transport: 'http', allowInsecure: false }
      registries: empty(registryServer) ? [] : [ { server: registryServer, identity: identity.id } ]
      secrets: [
        { name: 'bot-app-password', keyVaultUrl: botSecret.properties.secretUri, identity: identity.id }
        { name: 'teams-certificate-pfx', keyVaultUrl: certSecret.properties.secretUri, identity: identity.id }
        { name: 'teams-certificate-password', keyVaultUrl: certPasswordSecret.properties.secretUri, identity: identity.id }
        { name: 'audit-key', keyVaultUrl: auditKeySecret.properties.secretUri, identity: identity.id }
        { name: 'key-store-secret', keyVaultUrl: keyStoreSecretValue.properties.secretUri, identity: identity.id }
      ]
    }
    template: {
      containers: [
        {
          name: 'switchboard'
          image: image
          resources: { cpu: json('1.0'), memory: '2Gi' }
          env: [
            { name: 'MicrosoftAppId', value: botAppId }
            { name: 'MicrosoftAppPassword', secretRef: 'bot-app-password' }
            { name: 'MicrosoftAppType', value: 'SingleTenant' }
            { name: 'MicrosoftAppTenantId', value: tenantId }
            { name: 'ALLOWED_TENANT_IDS', value: allowedTenantIds }
            { name: 'APPROVER_IDS', value: approverIds }
            { name: 'TENANT_BACKEND', value: 'powershell' }
            { name: 'TEAMS_APP_ID', value: teamsAppId }
            { name: 'TEAMS_TENANT_ID', value: tenantId }
            // The entrypoint decodes the mounted base64 PFX to a private file and sets TEAMS_CERT_PATH.
            { name: 'TEAMS_CERT_PFX_BASE64_FILE', value: '/run/secrets/teams-certificate-pfx' }
            { name: 'TEAMS_CERT_PASSWORD', secretRef: 'teams-certificate-password' }
            { name: 'DATA_DIR', value: '/var/lib/switchboard' }
            // The audit key and the key-store secret from Key Vault, never in the data share.
            { name: 'AUDIT_KEY', secretRef: 'audit-key' }
            { name: 'KEY_STORE_SECRET_FILE', value: '/run/secrets/key-store-secret' }
            // One-time PFX links point at the app's own address (Container Apps: <app>.<environment domain>).
            { name: 'PUBLIC_URL', value: 'https://${namePrefix}-app.${environment.properties.defaultDomain}' }
            { name: 'PORT', value: '3978' }
            { name: 'HOST', value: '0.0.0.0' }
          ]
          volumeMounts: [
            { volumeName: 'data', mountPath: '/var/lib/switchboard' }
            { volumeName: 'secrets', mountPath: '/run/secrets' }
            { volumeName: 'tmp', mountPath: '/tmp' }
          ]
          probes: [
            { type: 'Liveness', httpGet: { path: '/healthz', port: 3978 }, periodSeconds: 30, initialDelaySeconds: 10 }
            // Ready once the store answers and the pwsh pool has connected with the MicrosoftTeams module.
            { type: 'Readiness', httpGet: { path: '/readyz', port: 3978 }, periodSeconds: 15, failureThreshold: 3, initialDelaySeconds: 20 }
            { type: 'Startup', httpGet: { path: '/healthz', port: 3978 }, periodSeconds: 10, failureThreshold: 18 }
          ]
        }
      ]
      volumes: [
        { name: 'data', storageType: 'AzureFile', storageName: environmentStorage.name }
        { name: 'secrets', storageType: 'Secret', secrets: [ { secretRef: 'teams-certificate-pfx', path: 'teams-certificate-pfx' }, { secretRef: 'key-store-secret', path: 'key-store-secret' } ] }
        { name: 'tmp', storageType: 'EmptyDir' }
      ]
      // One replica: the SQLite store has one writer, and a request runs exactly once.
      scale: { minReplicas: 1, maxReplicas: 1 }
    }
  }
}

resource bot 'Microsoft.BotService/botServices@2022-09-15' = {
  name: '${namePrefix}-bot'
  location: 'global'
  kind: 'azurebot'
  sku: { name: 'S1' }
  properties: {
    displayName: 'Switchboard'
    endpoint: 'https://${app.properties.configuration.ingress.fqdn}/api/messages'
    msaAppId: botAppId
    msaAppType: 'SingleTenant'
    msaAppTenantId: tenantId
    disableLocalAuth: false
  }
}

resource teamsChannel 'Microsoft.BotService/botServices/channels@2022-09-15' = {
  parent: bot
  name: 'MsTeamsChannel'
  location: 'global'
  properties: { channelName: 'MsTeamsChannel', properties: { isEnabled: true } }
}

output messagingEndpoint string = bot.properties.endpoint
output appFqdn string = app.properties.configuration.ingress.fqdn
output keyVaultName string = vault.name
output managedIdentityPrincipalId string = identity.properties.principalId
