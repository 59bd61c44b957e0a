//! `m:CreateUserConfiguration` and `m:UpdateUserConfiguration`: both carry one whole
//! `m:UserConfiguration`.

use super::*;

impl OperationBody for UserConfiguration {
    fn parse(op: &Element) -> Result<UserConfiguration, EwsError> {
        UserConfiguration::parse(
            op.child("UserConfiguration")
                .ok_or_else(|| bad("UserConfiguration is missing"))?,
        )
    }

    fn write(&self, w: &mut Writer, element: &str) {
        w.open(element, &[]);
        UserConfiguration::write(self, w, "m:UserConfiguration");
        w.close(element);
    }
}
