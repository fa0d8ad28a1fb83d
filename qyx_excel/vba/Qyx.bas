Attribute VB_Name = "Qyx"
' Buttons of the Qyx ledger workbook (qyx_excel).
'
' Each button macro hands the work to Python, function qyx_excel.buttons.<name>, through the
' xlwings add-in's RunPython. Application.Run is used instead of a direct call so that the
' workbook compiles even when the add-in is not installed (no Tools > References entry).
'
' This file must stay ASCII: the VBA project is stored with code page 1252. Every sentence the
' user sees is read from a workbook-level defined name (QYX_MSG_*) that the workbook builder
' writes; the English fallbacks below are only shown when those names are missing.
Option Explicit

' Macro that runs Python; a defined name QYX_RUNPYTHON may override it (e.g. 'xlwings.xlam'!RunPython).
Private Const RUN_TARGET_DEFAULT As String = "xlwings.RunPython"
Private Const NAME_RUN_TARGET As String = "QYX_RUNPYTHON"
Private Const NAME_TITLE As String = "QYX_MSG_TITLE"
Private Const NAME_NO_ADDIN As String = "QYX_MSG_NO_ADDIN"
Private Const NAME_FAILED As String = "QYX_MSG_FAILED"
Private Const PY_MODULE As String = "qyx_excel.buttons"
' Application.Run raises 1004 when the macro cannot be found (add-in missing) or cannot run.
Private Const ERR_CANNOT_RUN As Long = 1004

Public Sub QyxCheckSheet()
    QyxRunPython "check_sheet"
End Sub

Public Sub QyxConsolidate()
    QyxRunPython "consolidate"
End Sub

Public Sub QyxNotice()
    QyxRunPython "notice"
End Sub

Public Sub QyxPrintTables()
    QyxRunPython "print_tables"
End Sub

Private Sub QyxRunPython(ByVal pyFunction As String)
    Dim target As String
    Dim errNumber As Long
    Dim errText As String

    target = QyxText(NAME_RUN_TARGET, RUN_TARGET_DEFAULT)
    On Error GoTo Failed
    Application.Run target, "import " & PY_MODULE & " as b; b." & pyFunction & "()"
    Exit Sub

Failed:
    errNumber = Err.Number
    errText = Err.Description
    On Error GoTo 0
    If errNumber = ERR_CANNOT_RUN Then
        MsgBox QyxText(NAME_NO_ADDIN, "The xlwings add-in was not found, so this button cannot run.") _
            & vbLf & vbLf & errText, vbExclamation, QyxText(NAME_TITLE, "Qyx")
    Else
        MsgBox QyxText(NAME_FAILED, "The button failed.") _
            & vbLf & vbLf & "(" & CStr(errNumber) & ") " & errText, vbCritical, QyxText(NAME_TITLE, "Qyx")
    End If
End Sub

' Text of a workbook-level defined name: either a string constant (="...") or a reference to a cell.
Private Function QyxText(ByVal key As String, ByVal fallback As String) As String
    Dim formula As String
    Dim value As Variant

    QyxText = fallback
    On Error GoTo Done
    formula = ThisWorkbook.Names(key).RefersTo
    If Left$(formula, 2) = "=""" And Right$(formula, 1) = """" And Len(formula) > 3 Then
        value = Replace(Mid$(formula, 3, Len(formula) - 3), """""", """")
    Else
        value = ThisWorkbook.Names(key).RefersToRange.Cells(1, 1).Value
    End If
    If VarType(value) = vbString Then
        If Len(value) > 0 Then QyxText = value
    End If
Done:
End Function
