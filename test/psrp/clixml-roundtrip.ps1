$ErrorActionPreference = "Stop"
# Reads an <Objs> document on stdin, deserializes it with PowerShell's own deserializer and writes
# each value serialized again by PowerShell, one <Objs> document per value, separated by a line
# "<!--next-->". Used by test/psrp/clixml-live.test.ts.
$in = [Console]::In.ReadToEnd()
$values = [System.Management.Automation.PSSerializer]::DeserializeAsList($in)
$docs = foreach ($v in $values) { [System.Management.Automation.PSSerializer]::Serialize($v, 64) }
[Console]::Out.Write(($docs -join "`n<!--next-->`n"))
